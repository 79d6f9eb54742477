import FerryCore
import FerryMapping
import FerryQueue
import FerrySeal

extension Node {
    /// What the version guard makes of one incoming record, given what the target last
    /// applied for its key.
    enum VersionVerdict: Equatable {
        case apply
        /// The same version with other content (or a repair of a lost row): overwrite the
        /// row that holds this version.
        case replaceSameVersion
        /// Nothing to do, and why.
        case skip(String)
        /// Held for a person: a field whose policy is `none` changed under the same version.
        case conflict(String)
    }

    /// Decides by version first, then by content and order: a record whose version was
    /// applied before is a duplicate only when its content digest is the one applied. Other
    /// content under the same version (one-second version columns stamp several changes
    /// alike) is applied when it came later in its lane than what was applied (bundle
    /// sequence, then line), and skipped when it arrives late behind a later one; a field
    /// under `conflict: none` that changed makes it a case for a person instead.
    /// - Parameter from: the inbox item carrying the record: its lane, sequence and position.
    static func versionVerdict(
        _ record: FerryCore.Record, digest: [UInt8], applied: Inbox.Applied?, repair: Bool, target: String,
        policed: [FieldSpec], holders: [String: FieldProvenance.Entry], from item: InboxItem? = nil
    ) -> VersionVerdict {
        // Never applied here: the target may hold this version with other content (loaded
        // before Ferry, or by hand), so the same version is written over too.
        guard let applied else { return record.operation == .delete ? .apply : .replaceSameVersion }
        let sortable = FerryCore.Record.sortableVersion(record.version)
        if applied.version > sortable { return .skip("\(target) holds a newer version than \(record.version)") }
        if applied.version < sortable { return record.operation == .delete ? .apply : .replaceSameVersion }
        // The same version: a repair brings back a lost row; otherwise content and order decide.
        if repair { return .replaceSameVersion }
        if applied.digest == digest {
            return .skip("\(target) already holds version \(record.version) with this content"
                + (record.operation == .delete ? " (deleted)" : ""))
        }
        if let item, applied.isLater(thanSequence: item.sequence, position: item.id, lane: item.lane) {
            return .skip("a later change of version \(record.version) (bundle \(applied.sequence ?? 0) of this lane) is already applied; "
                + "this one, from bundle \(item.sequence), arrived after it")
        }
        if record.operation == .delete { return .apply }
        let manual = policed.filter { $0.conflict == .none }.filter { spec in
            guard let holder = holders[spec.name] else { return false }
            return holder.digest != valueDigest(record.fields[spec.name] ?? .null)
        }
        if !manual.isEmpty {
            return .conflict("version \(record.version) arrived again with other values of " + manual.map(\.name).joined(separator: ", ")
                + " (conflict: none); settle it, then re-drive")
        }
        return .replaceSameVersion
    }

    /// The digest of a record's operation and business content (entity, key, fields), 16
    /// bytes: what tells a same-version change from a duplicate.
    static func contentDigest(_ record: FerryCore.Record) -> [UInt8] {
        // The operation is part of it: a row deleted and inserted again with the same
        // content and version is a change, not a duplicate of the deletion.
        Array(Hasher.sha256(Array(record.operation.rawValue.utf8) + [0] + record.canonicalContent).prefix(16))
    }
}
