import Foundation

/// Who last wrote each field of each record in each target: the system, its authority
/// rank (0 national … 3 district) and a digest of the value. Conflict policies need it:
/// a district system must not overwrite what the national one set, and fields with no
/// policy must not silently change hands.
public struct FieldProvenance {
    let db: any StoreConnection

    public struct Entry: Sendable, Equatable {
        public var system: String
        public var rank: Int
        public var digest: String

        public init(system: String, rank: Int, digest: String) {
            (self.system, self.rank, self.digest) = (system, rank, digest)
        }
    }

    /// The `field_provenance` table; `QueueSchema.migrations` applies it as "queue-v10-field-provenance".
    static func createTable(_ db: any StoreConnection) throws {
        try db.executeScript(db.dialect.render("""
            CREATE TABLE field_provenance (
                target TEXT NOT NULL,
                entity TEXT NOT NULL,
                record_key TEXT NOT NULL,
                field TEXT NOT NULL,
                system TEXT NOT NULL,
                rank INTEGER NOT NULL,
                digest TEXT NOT NULL,
                PRIMARY KEY (target, entity, record_key, field)
            ) WITHOUT ROWID;
            """))
    }

    /// The fields of one record in one target, by field name.
    public func fields(target: String, entity: String, key: String) throws -> [String: Entry] {
        var entries: [String: Entry] = [:]
        for row in try db.rows(sql: "SELECT field, system, rank, digest FROM field_provenance WHERE target = ? AND entity = ? AND record_key = ?",
            arguments: [target, entity, key])
        {
            entries[row[0]] = Entry(system: row[1], rank: row[2], digest: row[3])
        }
        return entries
    }

    public func record(target: String, entity: String, key: String, fields: [String: Entry]) throws {
        for (field, entry) in fields {
            try db.send(sql: """
                INSERT INTO field_provenance(target, entity, record_key, field, system, rank, digest) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(target, entity, record_key, field) DO UPDATE SET system = excluded.system, rank = excluded.rank, digest = excluded.digest
                """, arguments: [target, entity, key, field, entry.system, entry.rank, entry.digest])
        }
    }
}
