import Foundation
import FerryCore

extension FolderAdapter {
    /// A row's `documents:` columns made into document references: each names a file by a
    /// path relative to the drop folder, which must stay inside it (no absolute paths, no
    /// `..`, no symbolic link out of it).
    /// - Returns: the row, or why one of its files cannot be taken (the row is then set
    ///   aside as malformed, with that reason).
    func resolveDocuments(_ row: [String: Value]) -> Result<[String: Value], DocumentRefusal> {
        guard !options.documents.isEmpty, let folder = options.folder else { return .success(row) }
        var row = row
        let root = folder.resolvingSymlinksInPath().path
        for column in options.documents {
            guard let value = row[column], !value.isNull else { continue }
            guard case .string(let path) = value, !path.isEmpty else { continue }
            let shown = OutsideText.describe(path)
            guard !path.hasPrefix("/"), !path.split(separator: "/").contains("..") else {
                return .failure(DocumentRefusal(reason: "column \(column) names \(shown), which is not a path inside the folder; "
                    + "documents: columns hold paths relative to \(folder.path)"))
            }
            let file = folder.appendingPathComponent(path).resolvingSymlinksInPath()
            guard file.path.hasPrefix(root + "/") else {
                return .failure(DocumentRefusal(reason: "column \(column) names \(shown), which leads outside \(folder.path)"))
            }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file.path, isDirectory: &isDirectory), !isDirectory.boolValue,
                let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.int64Value
            else {
                return .failure(DocumentRefusal(reason: "column \(column) names \(shown), which is not a file in \(folder.path); "
                    + "put the file there, then requeue the row"))
            }
            row[column] = .document(DocumentRef(size: size, mediaType: "", name: file.lastPathComponent, localPath: file.path))
        }
        return .success(row)
    }

    /// A row to write with each document copied into `out/documents/` and replaced by its
    /// path there, relative to `out`: `documents/<first 16 hex digits of the digest>/<name>`.
    /// The same document written again is left as it is.
    func writeDocuments(_ values: [String: Value], into out: URL) throws -> [String: Value] {
        try values.mapValues { value in
            guard case .document(let reference) = value else { return value }
            let hexDigits = reference.digest.split(separator: ":").last.map { String($0.prefix(16)) } ?? "unknown"
            let relative = "documents/\(hexDigits)/\(reference.safeName)"
            let target = out.appendingPathComponent(relative)
            guard !FileManager.default.fileExists(atPath: target.path) else { return .string(relative) }
            guard let source = reference.localPath else {
                throw FerryError.adapter(.retryable, "document \(reference.digest) is not in this node's blob store")
            }
            let part = target.appendingPathExtension("part")
            do {
                try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                try? FileManager.default.removeItem(at: part)
                try FileManager.default.copyItem(atPath: source, toPath: part.path)
                let handle = try FileHandle(forWritingTo: part)
                try handle.synchronize()
                try handle.close()
                try FileManager.default.moveItem(at: part, to: target)
            } catch {
                try? FileManager.default.removeItem(at: part)
                throw FerryError.adapter(.retryable, "cannot write \(target.path)", hint: "check free space and permissions in \(out.path)")
            }
            return .string(relative)
        }
    }
}

/// Why a source row's document cannot be taken: the row is set aside as malformed with it.
struct DocumentRefusal: Error {
    var reason: String
}
