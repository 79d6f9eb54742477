public import FerryQueue
public import Foundation
public import FerryCore
public import FerrySeal

extension FerryError.Code {
    public static let auditBroken: Self = "audit.broken"
}

/// The append-only, hash-chained audit log in a node's store. Entries are appended in the
/// caller's transaction: if the audit write fails, the step it records rolls back with it,
/// so nothing is ever exchanged unaudited.
///
/// Each entry hashes the previous one (SHA-256, or SM3 for a node on the SM suite). Every
/// `checkpointEvery` entries or `checkpointInterval` seconds, and when the node stops, the
/// head is signed with the node key, so a verifier holding only public keys can tell the
/// log is the node's own and was not cut short before the last checkpoint.
public struct AuditLog: Sendable {
    public let node: String
    public let algorithm: Hasher.Algorithm
    public var signer: Signer?
    public var checkpointEvery: Int64 = 1000
    public var checkpointInterval: TimeInterval = 300
    /// Set only by `ferry bench audit`: events are counted, not written, to measure what
    /// the log itself costs. A node never runs so.
    package var counter: AuditCounter?
    static let genesis = String(repeating: "0", count: 64)

    /// Signs checkpoints and exports with the node's key; the key never leaves it.
    public struct Signer: Sendable {
        public var keyID: String
        public var sign: @Sendable ([UInt8]) throws -> [UInt8]

        public init(keyID: String, sign: @escaping @Sendable ([UInt8]) throws -> [UInt8]) {
            self.keyID = keyID
            self.sign = sign
        }
    }

    public init(node: String, algorithm: Hasher.Algorithm = .sha256, signer: Signer? = nil) {
        self.node = node
        self.algorithm = algorithm
        self.signer = signer
    }

    static let migrations: [StoreMigration] = [
        StoreMigration("audit-v1") { db in
            try db.executeScript(db.dialect.render("""
                CREATE TABLE audit (
                    seq INTEGER PRIMARY KEY,
                    at TEXT NOT NULL,
                    node TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    flow TEXT,
                    lane TEXT,
                    bundle TEXT,
                    subject TEXT,
                    details TEXT NOT NULL,
                    prev_hash TEXT NOT NULL,
                    hash TEXT NOT NULL
                );
                CREATE INDEX audit_kind ON audit(kind, seq);
                CREATE INDEX audit_bundle ON audit(bundle) WHERE bundle IS NOT NULL;
                """))
            for guardStatement in db.dialect.appendOnlyGuards("audit") { try db.execute(sql: guardStatement) }
        },
        StoreMigration("audit-v2") { db in
            // key_digest: the record one event is about. audit_records: the per-record index
            // of a batch event in one row, its keys (16 bytes each) and leaf hashes (32 bytes
            // each) packed in leaf order and covered by the entry's records_root; one row per
            // event, not per record, keeps the index cheap to write. key_filter finds a
            // record's entries (KeyFilter).
            try db.executeScript(db.dialect.render("""
                ALTER TABLE audit ADD COLUMN key_digest TEXT;
                ALTER TABLE audit ADD COLUMN key_filter BLOB;
                CREATE INDEX audit_key ON audit(key_digest) WHERE key_digest IS NOT NULL;
                CREATE INDEX audit_at ON audit(at);
                CREATE TABLE audit_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
                CREATE TABLE audit_records (
                    seq INTEGER PRIMARY KEY,
                    keys BLOB NOT NULL,
                    hashes BLOB NOT NULL,
                    tags TEXT
                );
                CREATE TABLE audit_checkpoints (
                    seq INTEGER PRIMARY KEY,
                    at TEXT NOT NULL,
                    head TEXT NOT NULL,
                    key_id TEXT NOT NULL,
                    signature TEXT NOT NULL
                );
                CREATE TABLE audit_exports (
                    n INTEGER PRIMARY KEY,
                    at TEXT NOT NULL,
                    first_seq INTEGER NOT NULL,
                    last_seq INTEGER NOT NULL,
                    digest TEXT NOT NULL
                );
                """))
            for guardStatement in db.dialect.appendOnlyGuards("audit_records") { try db.execute(sql: guardStatement) }
        },
    ]

    /// The chain's hash algorithm, fixed when the log starts: `preferred` for a new log, the
    /// recorded one for an existing log (SHA-256 for logs older than the record).
    public static func chainAlgorithm(_ tx: StoreTransaction, preferred: Hasher.Algorithm) throws -> Hasher.Algorithm {
        let db = tx.db
        if let recorded = try db.value(String.self, sql: "SELECT value FROM audit_meta WHERE name = 'chain'") {
            return Hasher.Algorithm(rawValue: recorded) ?? .sha256
        }
        let chosen = try db.value(Int64.self, sql: "SELECT 1 FROM audit LIMIT 1") == nil ? preferred : .sha256
        try db.execute(sql: "INSERT INTO audit_meta(name, value) VALUES ('chain', ?)", arguments: [chosen.rawValue])
        return chosen
    }

    /// Appends one event, chained to the previous entry, with its record index; signs a
    /// checkpoint when one is due.
    @discardableResult
    public func append(_ tx: StoreTransaction, _ event: AuditEvent) throws -> AuditEntry {
        let db = tx.db
        if let counter {
            counter.add(event.leaves.count)
            return AuditEntry(sequence: 0, at: "", node: node, event: event, previousHash: "", hash: "")
        }
        var event = event
        if !event.leaves.isEmpty {
            event.details["records_root"] = .string(hex(MerkleTree.root(leafHashes: event.leaves.map(\.merkleLeaf))))
            // The root covers hashes and outcomes; this covers which keys they belong to.
            event.details["keys_digest"] = .string(Self.keysDigest(event.leaves))
        }
        let last = try db.row(sql: "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
        let sequence = (last?["seq"] as Int64? ?? 0) + 1
        let previous = last?["hash"] as String? ?? Self.genesis
        var entry = AuditEntry(sequence: sequence, at: Timestamp.format(Date()), node: node, event: event, previousHash: previous, hash: "")
        entry.hash = try Self.hash(entry, algorithm)
        try db.execute(sql: """
                INSERT INTO audit(seq, at, node, actor, kind, flow, lane, bundle, subject, details, prev_hash, hash, key_digest, key_filter)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [
                sequence, entry.at, node, event.actor, event.kind.rawValue, event.flow, event.lane, event.bundle, event.subject,
                String(decoding: CanonicalJSON.encode(.object(event.details)), as: UTF8.self), previous, entry.hash, event.keyDigest,
                event.leaves.isEmpty ? nil : Data(KeyFilter.make(keys: event.leaves.map(\.key))),
            ])
        if !event.leaves.isEmpty {
            var keys = Data(capacity: event.leaves.count * 16)
            var hashes = Data(capacity: event.leaves.count * 32)
            for leaf in event.leaves {
                keys.append(contentsOf: leaf.key + [UInt8](repeating: 0, count: max(0, 16 - leaf.key.count)))
                hashes.append(contentsOf: leaf.hash)
            }
            let tags = event.leaves.contains { $0.tag != nil } ? event.leaves.map { $0.tag ?? "" }.joined(separator: ",") : nil
            try db.execute(sql: "INSERT INTO audit_records(seq, keys, hashes, tags) VALUES (?, ?, ?, ?)", arguments: [sequence, keys, hashes, tags])
        }
        if signer != nil {
            let lastCheckpoint = try db.row(sql: "SELECT seq, at FROM audit_checkpoints ORDER BY seq DESC LIMIT 1")
            let since = (lastCheckpoint?["at"] as String?).flatMap(Timestamp.parse)
            if sequence - (lastCheckpoint?["seq"] as Int64? ?? 0) >= checkpointEvery
                || since.map({ Date().timeIntervalSince($0) >= checkpointInterval }) ?? true
            {
                try checkpoint(db, head: entry)
            }
        }
        return entry
    }

    static func keysDigest(_ leaves: [AuditLeaf]) -> String {
        hex(Hasher.sha256(leaves.flatMap(\.key)))
    }

    /// Signs the current head, unless it is signed already: at shutdown, and when due.
    public func checkpoint(_ tx: StoreTransaction) throws {
        let db = tx.db
        guard signer != nil, let row = try db.row(sql: "SELECT * FROM audit ORDER BY seq DESC LIMIT 1") else { return }
        let head = try Self.entry(row)
        guard try db.value(Int64.self, sql: "SELECT 1 FROM audit_checkpoints WHERE seq = ?", arguments: [head.sequence]) == nil else { return }
        try checkpoint(db, head: head)
    }

    private func checkpoint(_ db: any StoreConnection, head: AuditEntry) throws {
        guard let signer else { return }
        let at = Timestamp.format(Date())
        let signature = try signer.sign(Self.checkpointStatement(node: node, sequence: head.sequence, head: head.hash, at: at, chain: algorithm.rawValue))
        try db.execute(sql: """
            INSERT INTO audit_checkpoints(seq, at, head, key_id, signature) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(seq) DO UPDATE SET at = excluded.at, head = excluded.head, key_id = excluded.key_id, signature = excluded.signature
            """,
            arguments: [head.sequence, at, head.hash, signer.keyID, hex(signature)])
    }

    /// The bytes a checkpoint signature covers.
    public static func checkpointStatement(node: String, sequence: Int64, head: String, at: String, chain: String) -> [UInt8] {
        CanonicalJSON.encode(.object([
            "format": "ferry-audit-checkpoint-v1", "node": .string(node), "seq": .int(sequence), "head": .string(head),
            "at": .string(at), "chain": .string(chain),
        ]))
    }

    static func hash(_ entry: AuditEntry, _ algorithm: Hasher.Algorithm) throws -> String {
        hex(try Hasher.digest(Array(entry.previousHash.utf8) + entry.canonical, algorithm))
    }

    /// All entries in order, optionally of one kind.
    public static func entries(_ tx: StoreTransaction, kind: AuditEvent.Kind? = nil) throws -> [AuditEntry] {
        let db = tx.db
        var sql = "SELECT * FROM audit"
        var arguments: StoreArguments = []
        if let kind {
            sql += " WHERE kind = ?"
            arguments = [kind.rawValue]
        }
        return try db.rows(sql: sql + " ORDER BY seq", arguments: arguments).map(entry)
    }

    static func entry(_ row: StoreRow) throws -> AuditEntry {
        let detailsText: String = row["details"]
        var details: [String: Value] = [:]
        if case .object(let object) = try CanonicalJSON.decode(Array(detailsText.utf8)) { details = object }
        let event = AuditEvent(
            AuditEvent.Kind(rawValue: row["kind"]), actor: row["actor"], flow: row["flow"], lane: row["lane"], bundle: row["bundle"],
            subject: row["subject"], keyDigest: row["key_digest"], details: details)
        return AuditEntry(sequence: row["seq"], at: row["at"], node: row["node"], event: event, previousHash: row["prev_hash"], hash: row["hash"])
    }
}

/// Counts events instead of logging them, for the audit-overhead benchmark.
package final class AuditCounter: @unchecked Sendable {
    // @unchecked: both counts change only under `lock`.
    private let lock = NSLock()
    private var counts = (events: 0, records: 0)

    package init() {}

    func add(_ records: Int) {
        lock.withLock {
            counts.events += 1
            counts.records += records
        }
    }

    package var events: Int { lock.withLock { counts.events } }
}
