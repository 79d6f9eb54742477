import Foundation
public import FerryReconcile
import FerryCore

/// Each system's copy as this node last saw it pass: one (key digest, record digest) pair a
/// record, and the 4096 range sums of `CopyDigest`'s tree over them, 256 to a row. Pulls keep the
/// source's up to date, applies the target's, in the transaction of the step itself, so a
/// reconcile `--indexed` opens and answers without reading the systems at all. A full
/// reconcile reads the systems and rewrites the index from what it read: that is how
/// edits made outside Ferry come back into it.
public struct DigestIndex: StoreSchema {
    let db: any StoreConnection

    /// Leaves of the range tree: 16 × 16 × 16.
    public static let ranges = 4096

    package static var migrations: [StoreMigration] {
        [
        StoreMigration("reconcile-index-v1", script: """
                CREATE TABLE reconcile_index (
                    system TEXT NOT NULL,
                    entity TEXT NOT NULL,
                    key BLOB NOT NULL,
                    digest BLOB NOT NULL,
                    PRIMARY KEY (system, entity, key)
                ) WITHOUT ROWID;
                CREATE TABLE reconcile_ranges (
                    system TEXT NOT NULL,
                    entity TEXT NOT NULL,
                    range INTEGER NOT NULL,
                    sum BLOB NOT NULL,
                    changed_at TEXT NOT NULL,
                    PRIMARY KEY (system, entity, range)
                ) WITHOUT ROWID;
                -- Set when a full read last rewrote a system's index: before that, pulls and
                -- applies have only added what passed through Ferry, not what was there.
                CREATE TABLE reconcile_index_state (
                    system TEXT NOT NULL,
                    entity TEXT NOT NULL,
                    complete_at TEXT NOT NULL,
                    PRIMARY KEY (system, entity)
                ) WITHOUT ROWID;
                """),
        // A row a range cost two statements a range a batch, and a batch of 1,000 records
        // touches about 900 of the 4096 ranges: nearly two statements a record on each side
        // of a hop. A row holds the 256 sums under one child of the root instead: a batch
        // costs at most 32 statements, and a lone change still rewrites only 10 KiB.
        StoreMigration("reconcile-index-v2") { db in
            try db.executeScript(db.dialect.render("""
                CREATE TABLE reconcile_sums (
                    system TEXT NOT NULL,
                    entity TEXT NOT NULL,
                    part INTEGER NOT NULL,         -- ranges part × 256 ..< (part + 1) × 256
                    sums BLOB NOT NULL,            -- their 256 sums, 40 bytes each
                    changed_at TEXT NOT NULL,
                    PRIMARY KEY (system, entity, part)
                );
                """))
            try convertRangeRows(db)
            try db.executeScript("DROP TABLE reconcile_ranges")
        },
        // Folded a batch at a time, 1,000 random key digests land on about as many leaf
        // pages of `reconcile_index`: a page written, and checkpointed again, a record, on
        // both sides of a hop. Logged here instead, a batch costs one row; the log is folded
        // in key order once it is large, when a page takes many changes at once.
        StoreMigration("reconcile-index-v3-log", script: """
                CREATE TABLE reconcile_index_log (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    system TEXT NOT NULL,
                    entity TEXT NOT NULL,
                    entries INTEGER NOT NULL,      -- changes in the batch
                    batch BLOB NOT NULL            -- DigestIndex.ChangeBatch
                );
                CREATE INDEX reconcile_index_log_by_copy ON reconcile_index_log(system, entity, id);
                """),
        ]
    }

    /// Ranges a row of `reconcile_sums` holds.
    static let partSize = 256

    /// Folds the rows of v1's `reconcile_ranges` (one a range) into `reconcile_sums`,
    /// keeping every sum and its time of change.
    package static func convertRangeRows(_ db: any StoreConnection) throws {
        var parts: [String: (system: String, entity: String, part: Int, sums: [RangeSum], changedAt: String)] = [:]
        try db.forEachRow(sql: "SELECT system, entity, range, sum, changed_at FROM reconcile_ranges", arguments: []) { row in
            let (system, entity, range): (String, String, Int) = (row[0], row[1], row[2])
            guard (0..<ranges).contains(range), let sum = RangeSum(bytes: row[3]) else { return }
            let name = "\(system)\u{0}\(entity)\u{0}\(range / partSize)"
            var part = parts[name] ?? (system, entity, range / partSize, Array(repeating: RangeSum(), count: partSize), "")
            part.sums[range % partSize] = sum
            part.changedAt = max(part.changedAt, row[4])
            parts[name] = part
        }
        for part in parts.values {
            try DigestIndex(db: db).keep(part: part.part, part.sums, system: part.system, entity: part.entity, at: part.changedAt)
        }
    }

    /// The kept sums of the given parts of a system's entity; a part none are kept for is
    /// all zero.
    /// - Throws: `FerryError(.store)` when a kept row is not 256 sums long.
    func sums(system: String, entity: String, parts: [Int]) throws -> [[RangeSum]] {
        try zip(parts, storedSums(system: system, entity: entity, parts: parts)).map { part, sums in
            guard let sums else {
                throw FerryError(.store, "the digest index's range sums \(part) of \(system) \(entity) are not \(Self.partSize) sums",
                    hint: "run `ferry reconcile` without --indexed: a full read rewrites the index and its sums")
            }
            return sums
        }
    }

    /// The same, with nil for a kept row that is not 256 sums long.
    private func storedSums(system: String, entity: String, parts: [Int]) throws -> [[RangeSum]?] {
        let rows = try db.rows(sql: "SELECT sums FROM reconcile_sums WHERE system = ? AND entity = ? AND part = ?",
            each: parts.map { [system, entity, $0] })
        return rows.map { rows in
            guard let row = rows.first else { return Array(repeating: RangeSum(), count: Self.partSize) }
            guard let sums = RangeSum.split(row[0]), sums.count == Self.partSize else { return nil }
            return sums
        }
    }

    func keep(part: Int, _ sums: [RangeSum], system: String, entity: String, at now: String) throws {
        try db.send(sql: """
            INSERT INTO reconcile_sums(system, entity, part, sums, changed_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(system, entity, part) DO UPDATE SET sums = excluded.sums, changed_at = excluded.changed_at
            """, arguments: [system, entity, part, RangeSum.joined(sums), now])
    }

    /// A change to one record: its new digest, or nil when it was deleted.
    public struct Change: Sendable {
        public var key: [UInt8]
        public var digest: [UInt8]?

        public init(key: [UInt8], digest: [UInt8]?) { (self.key, self.digest) = (key, digest) }
    }

    /// Keeps a batch of changes: logged in one row, and folded with the rest of the log into
    /// the index and its range sums once the log holds `foldAt` changes or more. Reads of the
    /// index (`copy`, `forEachPair`) see logged changes as if folded.
    public func record(system: String, entity: String, _ changes: [Change], foldAt: Int = Self.foldThreshold) throws {
        guard !changes.isEmpty else { return }
        try db.send(sql: "INSERT INTO reconcile_index_log(system, entity, entries, batch) VALUES (?, ?, ?, ?)",
            arguments: [system, entity, changes.count, ChangeBatch.encode(changes)])
        let logged = try db.value(Int.self, sql: "SELECT CAST(coalesce(sum(entries), 0) AS BIGINT) FROM reconcile_index_log WHERE system = ? AND entity = ?",
            arguments: [system, entity]) ?? 0
        if logged >= foldAt { try fold(system: system, entity: entity) }
    }

    /// Changes the log holds before it is folded. A fold of 64Ki changes into an index of a
    /// million pairs touches most of its leaf pages once, where 64 batches of 1,000 touched
    /// about 64,000; it holds some 15 MB while it runs.
    public static let foldThreshold = 65_536

    /// Folds the log of a system's entity into the index and its range sums, and empties it:
    /// one subtraction and one addition per changed key, keys in order. A batch that cannot
    /// be read is dropped and the index marked incomplete, so `--indexed` is refused until a
    /// full read rewrites it; the batches around it are kept.
    public func fold(system: String, entity: String) throws {
        let log = try logged(system: system, entity: entity)
        guard log.batches > 0 else { return }
        if log.unreadable > 0 { try markIncomplete(system: system, entity: entity) }
        try apply(log.latest, system: system, entity: entity)
        try db.execute(sql: "DELETE FROM reconcile_index_log WHERE system = ? AND entity = ?", arguments: [system, entity])
    }

    /// Writes the last change of each key into the index, keys in order, and moves their
    /// range sums with them. Keys go in slices of `foldSlice`, so the rows of a large fold
    /// are never all in memory at once.
    private func apply(_ latest: [[UInt8]: [UInt8]?], system: String, entity: String) throws {
        let keys = latest.keys.sorted { $0.lexicographicallyPrecedes($1) }
        let shape = DigestTree(fanOut: 16, depth: 3)
        let parts = Array(Set(keys.map { shape.leaf(of: $0) / Self.partSize })).sorted()
        let stored = try storedSums(system: system, entity: entity, parts: parts)
        // An unreadable row of sums must not stop pulls and applies: they go on from zero,
        // and `--indexed` is refused until a full read rewrites the index.
        if stored.contains(where: { $0 == nil }) { try markIncomplete(system: system, entity: entity) }
        var sums = Dictionary(uniqueKeysWithValues: zip(parts, stored.map { $0 ?? Array(repeating: RangeSum(), count: Self.partSize) }))
        for start in stride(from: 0, to: keys.count, by: Self.foldSlice) {
            let slice = keys[start ..< min(start + Self.foldSlice, keys.count)]
            let previous = try storedDigests(system: system, entity: entity, keys: Array(slice))
            var pairs: [StoreArguments] = []
            var deleted: [StoreValue] = []
            for key in slice {
                let (part, offset) = shape.leaf(of: key).quotientAndRemainder(dividingBy: Self.partSize)
                if let old = previous[key] { sums[part]![offset].remove(old) }
                if let digest = latest[key] ?? nil {
                    sums[part]![offset].add(digest)
                    pairs.append([system, entity, key, digest])
                } else {
                    deleted.append(.blob(key))
                }
            }
            try db.send("DELETE FROM reconcile_index WHERE system = ? AND entity = ? AND key", fixed: [system, entity], in: deleted)
            try db.sendRows(Self.insertPairs, pairs, tail: Self.updatePair)
        }
        let now = Clock.now
        for part in parts { try keep(part: part, sums[part]!, system: system, entity: entity, at: now) }
    }

    /// Keys a fold reads and writes at a time.
    static let foldSlice = 4_096

    /// The digests the index holds for `keys`, as folded; keys it does not hold are absent.
    private func storedDigests(system: String, entity: String, keys: [[UInt8]]) throws -> [[UInt8]: [UInt8]] {
        var found: [[UInt8]: [UInt8]] = [:]
        for row in try db.rows("SELECT key, digest FROM reconcile_index WHERE system = ? AND entity = ? AND key",
            fixed: [system, entity], in: keys.map { .blob($0) }) {
            found[row[0]] = row[1]
        }
        return found
    }

    static let insertPairs = "INSERT INTO reconcile_index(system, entity, key, digest)"
    static let updatePair = "ON CONFLICT(system, entity, key) DO UPDATE SET digest = excluded.digest"

    /// Rewrites a system's index from a full read, in batches: pairs are written as they
    /// come, so memory stays flat however big the copy. The range sums are recomputed from
    /// the rows in the last transaction, so pulls and applies that updated the index while
    /// the system was read cannot leave them out of step.
    public struct Rebuild {
        let system: String
        let entity: String
        private var batch: [DigestPair] = []

        public init(system: String, entity: String) {
            self.system = system
            self.entity = entity
        }

        public mutating func add(_ pair: DigestPair, store: NodeStore) throws {
            batch.append(pair)
            if batch.count >= 5000 { try flush(store) }
        }

        private mutating func flush(_ store: NodeStore) throws {
            // A source can hold a key twice (a CSV file, a table without a primary key): the
            // last read stands, as when each pair was its own statement.
            var last: [[UInt8]: Int] = [:]
            for (index, pair) in batch.enumerated() { last[pair.key] = index }
            let (system, entity) = (system, entity)
            let rows: [StoreArguments] = batch.indices.filter { last[batch[$0].key] == $0 }.map { [system, entity, batch[$0].key, batch[$0].digest] }
            batch.removeAll(keepingCapacity: true)
            try store.write { tx in try tx.db.sendRows(DigestIndex.insertPairs, rows, tail: DigestIndex.updatePair) }
        }

        /// Clears the old index, which stays incomplete until `finish`; called before the first pair.
        public func start(_ store: NodeStore) throws {
            try store.write { tx in
                for table in ["reconcile_index", "reconcile_index_log", "reconcile_sums", "reconcile_index_state"] {
                    try tx.db.execute(sql: "DELETE FROM \(table) WHERE system = ? AND entity = ?", arguments: [system, entity])
                }
            }
        }

        public mutating func finish(_ store: NodeStore) throws {
            try flush(store)
            let (system, entity, now) = (system, entity, Clock.now)
            try store.write { tx in
                let db = tx.db
                // Changes pulled or applied while the system was read are newer than what
                // the read saw of their rows: they stand.
                try DigestIndex(db: db).fold(system: system, entity: entity)
                var sums = Array(repeating: RangeSum(), count: DigestIndex.ranges)
                let shape = DigestTree(fanOut: 16, depth: 3)
                try db.forEachRow(sql: "SELECT key, digest FROM reconcile_index WHERE system = ? AND entity = ?", arguments: [system, entity]) { row in
                    sums[shape.leaf(of: row[0])].add(row[1])
                }
                try db.execute(sql: "DELETE FROM reconcile_sums WHERE system = ? AND entity = ?", arguments: [system, entity])
                for part in 0..<(DigestIndex.ranges / DigestIndex.partSize) {
                    let slice = Array(sums[part * DigestIndex.partSize ..< (part + 1) * DigestIndex.partSize])
                    guard slice.contains(where: { $0.count != 0 }) else { continue }
                    try DigestIndex(db: db).keep(part: part, slice, system: system, entity: entity, at: now)
                }
                try db.execute(sql: "INSERT INTO reconcile_index_state(system, entity, complete_at) VALUES (?, ?, ?)", arguments: [system, entity, now])
            }
        }
    }

    /// The copy as indexed, logged changes included: the range tree from the kept sums,
    /// without a pass over the records; with a sketch width, the index's pairs streamed into
    /// the sketch.
    /// - Throws: `FerryError(.store)` when a kept row of sums or a logged batch cannot be read.
    public func copy(system: String, entity: String, sketchWidth: Int?, sketchOnly: RangeSelection? = nil) throws -> CopyDigest {
        var leaves = try sums(system: system, entity: entity, parts: Array(0..<(Self.ranges / Self.partSize))).flatMap { $0 }
        let latest = try readableLog(system: system, entity: entity)
        let shape = DigestTree(fanOut: 16, depth: 3)
        let previous = try storedDigests(system: system, entity: entity, keys: Array(latest.keys))
        for (key, digest) in latest {
            let leaf = shape.leaf(of: key)
            if let old = previous[key] { leaves[leaf].remove(old) }
            if let digest { leaves[leaf].add(digest) }
        }
        var copy = CopyDigest(tree: DigestTree(fanOut: 16, depth: 3, leaves: leaves), sketchWidth: sketchWidth ?? 8, sketchOnly: sketchOnly)
        guard sketchWidth != nil else { return copy }
        try forEachPair(system: system, entity: entity) { copy.addToSketch($0) }
        return copy
    }

    /// The index's pairs, streamed, logged changes included: pairs the log changes come
    /// after the rest, in no particular order.
    /// - Throws: `FerryError(.store)` when a logged batch cannot be read.
    public func forEachPair(system: String, entity: String, _ body: (DigestPair) throws -> Void) throws {
        let latest = try readableLog(system: system, entity: entity)
        try db.forEachRow(sql: "SELECT key, digest FROM reconcile_index WHERE system = ? AND entity = ?", arguments: [system, entity]) { row in
            let key: [UInt8] = row[0]
            guard latest.index(forKey: key) == nil else { return }
            try body(DigestPair(key: key, digest: row[1]))
        }
        for case let (key, digest?) in latest { try body(DigestPair(key: key, digest: digest)) }
    }

    /// Until the next full read, `--indexed` is refused for a system whose index no longer
    /// describes it.
    public func markIncomplete(system: String, entity: String) throws {
        try db.execute(sql: "DELETE FROM reconcile_index_state WHERE system = ? AND entity = ?", arguments: [system, entity])
    }

    /// Whether a full read has rewritten a system's index since it began or was last cleared.
    public func isComplete(system: String, entity: String) throws -> Bool {
        try db.value(Int.self, sql: "SELECT 1 FROM reconcile_index_state WHERE system = ? AND entity = ?", arguments: [system, entity]) != nil
    }
}
