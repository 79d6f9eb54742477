import Foundation
import FerryCore

extension ExecAdapter {
    /// A WRITE record's values as the program gets them (docs/adapter-protocol.md,
    /// "Documents"): bytes as `{"$bytes":"<base64>"}`, a document as `{"$document":{…}}`
    /// with its reference and a `path` to its file in the node's blob store, to read and not
    /// to change.
    static func outgoing(_ values: [String: Value]) -> [String: Value] {
        values.mapValues { value in
            guard case .document(let reference) = value else { return value }
            var members = reference.members
            if let path = reference.localPath { members["path"] = .string(path) }
            return .object([CanonicalJSON.documentTag: .object(members)])
        }
    }

    /// A READ record's values as Ferry takes them: `{"$bytes":"<base64>"}` as bytes, and
    /// `{"$document":{"path":…}}` as a document read from that file (relative to the working
    /// directory), its `name` and `media_type` taken when given. The node stores and
    /// digests it before the record is queued. Anything else stays as it is.
    static func incoming(_ row: [String: Value], base: URL?) -> [String: Value] {
        row.mapValues { value in
            guard case .object(let members) = value, members.count == 1 else { return value }
            if case .object(let fields)? = members[CanonicalJSON.documentTag], case .string(let path)? = fields["path"], !path.isEmpty {
                var file = URL(fileURLWithPath: path)
                if let base, !path.hasPrefix("/") { file = base.appendingPathComponent(path) }
                file = file.standardizedFileURL
                let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.int64Value ?? 0
                let declared = fields["media_type"]?.text ?? ""
                return .document(DocumentRef(size: size, mediaType: MediaType.isWellFormed(declared) ? declared : "", name: fields["name"]?.text ?? file.lastPathComponent,
                    localPath: file.path))
            }
            // A reference without a file would name content this node never read: it stays an object.
            guard members[CanonicalJSON.bytesTag] != nil else { return value }
            return CanonicalJSON.untagged(value)
        }
    }
}
