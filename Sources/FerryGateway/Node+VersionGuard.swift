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

    /// Decides by version first, then by content: a record whose version was applied before
    /// is a duplicate only when its content digest is the one applied. Other content under the
    /// same version (one-second version columns stamp several changes alike) is applied in
    /// arrival order, which is the lane's sequence order, unless a field it changes is under
    /// `conflict: none`.
    static func versionVerdict(
        _ record: FerryCore.Record, digest: [UInt8], applied: Inbox.Applied?, repair: Bool, target: String,
        policed: [FieldSpec], holders: [String: FieldProvenance.Entry]
    ) -> VersionVerdict {
        // Never applied here: the target may hold this version with other content (loaded
        // before Ferry, or by hand), so the same version is written over too.
        guard let applied else { return record.operation == .delete ? .apply : .replaceSameVersion }
        let sortable = FerryCore.Record.sortableVersion(record.version)
        if record.operation == .delete {
            return applied.version > sortable ? .skip("\(target) holds a newer version than \(record.version)") : .apply
        }
        if applied.version > sortable { return .skip("\(target) holds a newer version than \(record.version)") }
        if applied.version < sortable { return .apply }
        // The same version: a repair brings back a lost row; otherwise content decides.
        if repair { return .replaceSameVersion }
        if applied.digest == digest { return .skip("\(target) already holds version \(record.version) with this content") }
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

    /// The digest of a record's business content (entity, key, fields), 16 bytes: what tells
    /// a same-version change from a duplicate.
    static func contentDigest(_ record: FerryCore.Record) -> [UInt8] {
        Array(Hasher.sha256(record.canonicalContent).prefix(16))
    }
}
