import FerryCore

extension DigestIndex {
    /// A batch of changes as one row of `reconcile_index_log`: for each change in order, the
    /// key's length (two bytes, big-endian) and bytes, then the digest's length and bytes, or
    /// the length 0xFFFF and no bytes for a deletion.
    package enum ChangeBatch {
        static let deleted: UInt16 = 0xFFFF

        package static func encode(_ changes: [Change]) -> [UInt8] {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(changes.count * 52)
            func length(_ value: Int) { bytes += [UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)] }
            for change in changes {
                length(change.key.count)
                bytes += change.key
                if let digest = change.digest {
                    length(digest.count)
                    bytes += digest
                } else {
                    length(Int(deleted))
                }
            }
            return bytes
        }

        /// The changes of a batch, or nil when the bytes are not a whole batch (cut short,
        /// or written by something else).
        package static func decode(_ bytes: [UInt8]) -> [Change]? {
            var changes: [Change] = []
            var at = 0
            func field(allowingDeletion: Bool) -> [UInt8]?? {
                guard at + 2 <= bytes.count else { return nil }
                let length = Int(bytes[at]) << 8 | Int(bytes[at + 1])
                at += 2
                if length == Int(deleted) { return allowingDeletion ? .some(nil) : nil }
                guard at + length <= bytes.count else { return nil }
                defer { at += length }
                return .some(Array(bytes[at ..< at + length]))
            }
            while at < bytes.count {
                guard let key = field(allowingDeletion: false), let key, let digest = field(allowingDeletion: true) else { return nil }
                changes.append(Change(key: key, digest: digest))
            }
            return changes
        }
    }

    /// What the log of a system's entity holds: the last change of each key across its
    /// batches in the order they were logged, how many batches, and how many of them could
    /// not be read.
    struct Log {
        var latest: [[UInt8]: [UInt8]?] = [:]
        var batches = 0
        var unreadable = 0
    }

    func logged(system: String, entity: String) throws -> Log {
        var log = Log()
        try db.forEachRow(sql: "SELECT batch FROM reconcile_index_log WHERE system = ? AND entity = ? ORDER BY id", arguments: [system, entity]) { row in
            log.batches += 1
            guard let changes = ChangeBatch.decode(row[0]) else {
                log.unreadable += 1
                return
            }
            for change in changes { log.latest[change.key] = .some(change.digest) }
        }
        return log
    }

    /// The log's last change of each key, for reads of the index.
    /// - Throws: `FerryError(.store)` when a batch cannot be read: the index no longer
    ///   describes the copy, and the next fold marks it incomplete.
    func readableLog(system: String, entity: String) throws -> [[UInt8]: [UInt8]?] {
        let log = try logged(system: system, entity: entity)
        guard log.unreadable == 0 else {
            throw FerryError(.store, "\(log.unreadable) logged batch(es) of the digest index of \(system) \(entity) cannot be read",
                hint: "run `ferry reconcile` without --indexed: a full read rewrites the index and empties its log")
        }
        return log.latest
    }
}
