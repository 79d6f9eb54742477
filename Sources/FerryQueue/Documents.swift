import Foundation
import FerryCore

/// The node's documents (docs/documents.md): which it holds and how far each has arrived,
/// which each lane still owes the far side, what each `documents` bundle carries, and which
/// received records wait for a document before they may be applied. The bytes themselves
/// are in the `BlobStore`.
public struct Documents: StoreSchema {
    let db: any StoreConnection

    package static var migrations: [StoreMigration] {
        [
            StoreMigration("documents-v1", script: """
                CREATE TABLE documents (
                    digest TEXT PRIMARY KEY,
                    size INTEGER NOT NULL,
                    state TEXT NOT NULL,
                    received INTEGER NOT NULL DEFAULT 0,
                    reason TEXT,
                    signature TEXT,
                    media_type TEXT,
                    name TEXT,
                    created_at TEXT NOT NULL,
                    completed_at TEXT
                ) WITHOUT ROWID;
                CREATE TABLE document_chunks (
                    digest TEXT NOT NULL,
                    offset_bytes INTEGER NOT NULL,
                    length INTEGER NOT NULL,
                    PRIMARY KEY (digest, offset_bytes)
                ) WITHOUT ROWID;
                CREATE TABLE lane_documents (
                    lane TEXT NOT NULL,
                    digest TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    queued_at TEXT NOT NULL,
                    sealed_at TEXT,
                    PRIMARY KEY (lane, digest)
                ) WITHOUT ROWID;
                CREATE TABLE document_bundles (
                    bundle_id TEXT PRIMARY KEY,
                    digest TEXT NOT NULL,
                    first_offset INTEGER NOT NULL,
                    end_offset INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE document_waits (
                    bundle_id TEXT NOT NULL,
                    record_key TEXT NOT NULL,
                    digest TEXT NOT NULL,
                    PRIMARY KEY (bundle_id, record_key, digest)
                ) WITHOUT ROWID;
                CREATE INDEX document_waits_digest ON document_waits(digest);
                """),
        ]
    }

    /// Where a document stands on this node.
    public enum State: String, Sendable {
        /// Chunks are arriving.
        case partial
        /// All here and verified against its digest.
        case whole
        /// Reassembled content that failed its digest or a check: its records are rejected.
        case rejected
    }

    public struct Entry: Sendable, Equatable {
        public var digest: String
        public var size: Int64
        public var state: State
        public var received: Int64
        public var reason: String?
        /// This node's signature over the document, as canonical JSON, made once and reused.
        public var signature: String?
        /// The media type and name of the first record that named it here, for manifests.
        public var mediaType: String? = nil
        public var name: String? = nil
    }

    public func entry(_ digest: String) throws -> Entry? {
        try db.row(sql: "SELECT digest, size, state, received, reason, signature, media_type, name FROM documents WHERE digest = ?",
            arguments: [digest]).map {
            Entry(digest: $0[0], size: $0[1], state: State(rawValue: $0[2]) ?? .partial, received: $0[3], reason: $0[4], signature: $0[5],
                mediaType: $0[6], name: $0[7])
        }
    }

    /// Notes a document stored whole on this node (read from a source, or reassembled),
    /// with the signature this node made over it, if any; a signature kept before stays.
    public func stored(_ digest: String, size: Int64, signature: String? = nil, mediaType: String? = nil, name: String? = nil) throws {
        try db.execute(sql: """
            INSERT INTO documents(digest, size, state, received, signature, media_type, name, created_at, completed_at)
            VALUES (?, ?, 'whole', ?, ?, ?, ?, ?, ?)
            ON CONFLICT(digest) DO UPDATE SET state = 'whole', received = excluded.size, reason = NULL, completed_at = excluded.completed_at,
                signature = coalesce(documents.signature, excluded.signature), media_type = coalesce(documents.media_type, excluded.media_type),
                name = coalesce(documents.name, excluded.name)
            """, arguments: [digest, size, size, signature, mediaType, name, Clock.now, Clock.now])
        // Whole here, whoever brought it: nothing waits for its chunks any more.
        try db.execute(sql: "DELETE FROM document_chunks WHERE digest = ?", arguments: [digest])
        try db.execute(sql: "DELETE FROM document_waits WHERE digest = ?", arguments: [digest])
    }

    // MARK: sending

    /// Owes `lane` each of `digests` unless it has been queued for the lane before: the same
    /// document named by a thousand records crosses once.
    public func owe(lane: String, _ digests: [(digest: String, size: Int64)]) throws {
        for document in digests {
            try db.send(sql: "INSERT INTO lane_documents(lane, digest, size, queued_at) VALUES (?, ?, ?, ?) ON CONFLICT(lane, digest) DO NOTHING",
                arguments: [lane, document.digest, document.size, Clock.now])
        }
    }

    /// Documents queued for `lane` and not yet sealed, oldest first.
    public func owed(lane: String) throws -> [(digest: String, size: Int64)] {
        try db.rows(sql: "SELECT digest, size FROM lane_documents WHERE lane = ? AND sealed_at IS NULL ORDER BY queued_at, digest",
            arguments: [lane]).map { ($0[0], $0[1]) }
    }

    /// Lanes with documents waiting to be sealed.
    public func lanesOwed() throws -> [String] {
        try db.values(String.self, sql: "SELECT DISTINCT lane FROM lane_documents WHERE sealed_at IS NULL ORDER BY lane")
    }

    /// Notes that the bundle `id` carries bytes [first, end) of `digest`, in the transaction
    /// that reserves it, so a crash mid-seal can seal it again from the blob store.
    public func assign(bundle id: String, digest: String, first: Int64, end: Int64) throws {
        try db.execute(sql: "INSERT INTO document_bundles(bundle_id, digest, first_offset, end_offset) VALUES (?, ?, ?, ?)",
            arguments: [id, digest, first, end])
    }

    /// What a `documents` bundle carries.
    public func part(bundle id: String) throws -> (digest: String, first: Int64, end: Int64)? {
        try db.row(sql: "SELECT digest, first_offset, end_offset FROM document_bundles WHERE bundle_id = ?", arguments: [id]).map { ($0[0], $0[1], $0[2]) }
    }

    /// Marks a document sealed for a lane once its last part is reserved.
    public func sealed(lane: String, digest: String) throws {
        try db.execute(sql: "UPDATE lane_documents SET sealed_at = ? WHERE lane = ? AND digest = ?", arguments: [Clock.now, lane, digest])
    }

    // MARK: receiving

    /// Records one received chunk of `digest` (of `size` bytes in all); a chunk already
    /// recorded (a resent bundle) adds nothing.
    /// - Returns: the bytes received so far.
    @discardableResult
    public func received(digest: String, size: Int64, offset: Int64, length: Int) throws -> Int64 {
        // A document refused before starts afresh when its chunks come again (a resend).
        try db.execute(sql: """
            INSERT INTO documents(digest, size, state, received, created_at) VALUES (?, ?, 'partial', 0, ?)
            ON CONFLICT(digest) DO UPDATE SET state = 'partial', received = 0, reason = NULL WHERE documents.state = 'rejected'
            """, arguments: [digest, size, Clock.now])
        let added = try db.execute(sql: "INSERT INTO document_chunks(digest, offset_bytes, length) VALUES (?, ?, ?) ON CONFLICT(digest, offset_bytes) DO NOTHING",
            arguments: [digest, offset, length])
        if added > 0 {
            try db.execute(sql: "UPDATE documents SET received = received + ? WHERE digest = ? AND state = 'partial'", arguments: [length, digest])
        }
        return try db.value(Int64.self, sql: "SELECT received FROM documents WHERE digest = ?", arguments: [digest]) ?? 0
    }

    /// A reassembled document that verified: whole, its chunk list dropped, and every record
    /// that waited for it free to be applied (if it waits for nothing else).
    public func completed(_ digest: String) throws {
        try db.execute(sql: "UPDATE documents SET state = 'whole', completed_at = ?, reason = NULL WHERE digest = ?", arguments: [Clock.now, digest])
        try db.execute(sql: "DELETE FROM document_chunks WHERE digest = ?", arguments: [digest])
        try db.execute(sql: "DELETE FROM document_waits WHERE digest = ?", arguments: [digest])
    }

    /// A reassembled document that failed: rejected with `reason`.
    /// - Returns: the records (bundle, key) that waited for it, for the caller to reject.
    public func rejected(_ digest: String, reason: String) throws -> [(bundle: String, key: String)] {
        try db.execute(sql: "UPDATE documents SET state = 'rejected', reason = ? WHERE digest = ?", arguments: [reason, digest])
        try db.execute(sql: "DELETE FROM document_chunks WHERE digest = ?", arguments: [digest])
        let waiting = try db.rows(sql: "SELECT bundle_id, record_key FROM document_waits WHERE digest = ?", arguments: [digest]).map { (bundle: $0[0] as String, key: $0[1] as String) }
        try db.execute(sql: "DELETE FROM document_waits WHERE digest = ?", arguments: [digest])
        return waiting
    }

    /// Makes a staged record wait for a document that is not here whole yet.
    public func wait(bundle: String, key: String, digest: String) throws {
        try db.send(sql: "INSERT INTO document_waits(bundle_id, record_key, digest) VALUES (?, ?, ?) ON CONFLICT(bundle_id, record_key, digest) DO NOTHING",
            arguments: [bundle, key, digest])
    }

    /// Documents received records wait for, with how many bytes of each have arrived.
    public func awaited() throws -> [Entry] {
        try db.rows(sql: """
            SELECT w.digest, coalesce(d.size, 0), coalesce(d.state, 'partial'), coalesce(d.received, 0), d.reason, count(*)
            FROM document_waits w LEFT JOIN documents d ON d.digest = w.digest GROUP BY w.digest, d.size, d.state, d.received, d.reason ORDER BY w.digest
            """).map { Entry(digest: $0[0], size: $0[1], state: State(rawValue: $0[2]) ?? .partial, received: $0[3], reason: $0[4], signature: nil) }
    }
}
