import FerryCore

/// The SQL that change capture installs, written once per dialect and used by the adapter
/// that owns the database (`sqlite`, `postgres`, `mysql`) and by `odbc` for the same
/// databases: the `ferry_changes` table (sequence, table, `upsert` or `delete`, the key as a
/// JSON object, for deletes the old version as a JSON object, and the time) and the triggers
/// that fill it on every insert, update and delete. An update that changes the key is the
/// old key's deletion and the new key's upsert. Pure: tested without a database.
struct CaptureDDL {
    /// One trigger (or, for PostgreSQL, a trigger function and its trigger) by name.
    struct Trigger: Equatable {
        var name: String
        var statements: [String]
    }

    let dialect: SQLDialect
    /// The database (MySQL) or schema (PostgreSQL) holding the table; nil for the session's.
    let schema: String?
    let table: String
    let keyColumns: [String]
    let versionColumn: String?

    private func quote(_ name: String) -> String { dialect.quote(name) }
    private var prefix: String { schema.map { quote($0) + "." } ?? "" }
    private var literal: String { SQLQuote.literal(table) }

    /// The change table, qualified as the table is.
    var changeTable: String { prefix + "ferry_changes" }
    var qualifiedTable: String { prefix + quote(table) }

    var createChangeTable: String {
        switch dialect {
        case .postgresql:
            return """
                CREATE TABLE IF NOT EXISTS \(changeTable) (
                    seq bigserial PRIMARY KEY,
                    source_table text NOT NULL,
                    op text NOT NULL,
                    row_key json NOT NULL,
                    row_version json,
                    at timestamptz NOT NULL DEFAULT now()
                )
                """
        case .mysql:
            return """
                CREATE TABLE IF NOT EXISTS \(changeTable) (
                    seq BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
                    source_table VARCHAR(64) NOT NULL,
                    op VARCHAR(8) NOT NULL,
                    row_key LONGTEXT NOT NULL,
                    row_version LONGTEXT,
                    at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
                    KEY ferry_changes_table (source_table, seq)
                ) CHARACTER SET utf8mb4
                """
        default:
            return """
                CREATE TABLE IF NOT EXISTS \(changeTable) (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    source_table TEXT NOT NULL,
                    op TEXT NOT NULL,
                    row_key TEXT NOT NULL,
                    row_version TEXT,
                    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
                )
                """
        }
    }

    /// `{"column": row.column, …}` in the dialect's JSON function.
    private func object(_ row: String, _ columns: [String]) -> String {
        let function = dialect == .postgresql ? "json_build_object" : dialect == .mysql ? "JSON_OBJECT" : "json_object"
        return function + "(" + columns.map { "\(SQLQuote.literal($0)), \(row).\(quote($0))" }.joined(separator: ", ") + ")"
    }

    private func version(_ row: String) -> String { versionColumn.map { object(row, [$0]) } ?? "NULL" }

    private func insert(_ op: String, _ row: String) -> String {
        let version = op == "delete" ? self.version(row) : "NULL"
        return "INSERT INTO \(changeTable) (source_table, op, row_key, row_version) VALUES (\(literal), '\(op)', \(object(row, keyColumns)), \(version))"
    }

    /// The triggers to create, each by the statements that create it.
    var triggers: [Trigger] {
        switch dialect {
        case .postgresql: return [postgresTrigger]
        case .mysql: return mysqlTriggers
        default: return sqliteTriggers
        }
    }

    /// MySQL allows 64 characters in a trigger name: a longer one is cut, with a digest of the
    /// table's whole name so two long names do not collide.
    func mysqlTriggerName(_ event: String) -> String {
        let name = "ferry_capture_\(table)_\(event)"
        guard name.utf8.count > 64 else { return name }
        let digest = table.utf8.reduce(UInt64(14_695_981_039_346_656_037)) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
        return "ferry_capture_\(String(digest, radix: 16))_\(event)"
    }

    private var mysqlTriggers: [Trigger] {
        let sameKey = keyColumns.map { "OLD.\(quote($0)) <=> NEW.\(quote($0))" }.joined(separator: " AND ")
        let bodies = [
            ("ins", "INSERT", insert("upsert", "NEW")),
            ("upd", "UPDATE", "BEGIN IF NOT (\(sameKey)) THEN \(insert("delete", "OLD")); END IF; \(insert("upsert", "NEW")); END"),
            ("del", "DELETE", insert("delete", "OLD")),
        ]
        return bodies.map { suffix, event, body in
            let name = mysqlTriggerName(suffix)
            return Trigger(name: name, statements: ["CREATE TRIGGER \(prefix)\(quote(name)) AFTER \(event) ON \(qualifiedTable) FOR EACH ROW \(body)"])
        }
    }

    /// The trigger function's name: one per table, in the table's schema.
    var postgresFunction: String { prefix + quote("ferry_capture_\(table)") }

    private var postgresTrigger: Trigger {
        let old = keyColumns.map { "OLD.\(quote($0))" }.joined(separator: ", ")
        let new = keyColumns.map { "NEW.\(quote($0))" }.joined(separator: ", ")
        let function = """
            CREATE OR REPLACE FUNCTION \(postgresFunction)() RETURNS trigger LANGUAGE plpgsql AS $ferry$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    \(insert("delete", "OLD"));
                    RETURN OLD;
                END IF;
                IF TG_OP = 'UPDATE' AND (\(old), NULL) IS DISTINCT FROM (\(new), NULL) THEN
                    -- A key change: the old key is deleted at the targets, the new one upserted.
                    \(insert("delete", "OLD"));
                END IF;
                \(insert("upsert", "NEW"));
                RETURN NEW;
            END
            $ferry$
            """
        let trigger = "CREATE TRIGGER ferry_capture AFTER INSERT OR UPDATE OR DELETE ON \(qualifiedTable) FOR EACH ROW EXECUTE FUNCTION \(postgresFunction)()"
        return Trigger(name: "ferry_capture", statements: [function, trigger])
    }

    private var sqliteTriggers: [Trigger] {
        let keyChanged = keyColumns.map { "OLD.\(quote($0)) IS NOT NEW.\(quote($0))" }.joined(separator: " OR ")
        let oldKeyDeletion = """
            INSERT INTO \(changeTable)(source_table, op, row_key, row_version)
            SELECT \(literal), 'delete', \(object("OLD", keyColumns)), \(version("OLD")) WHERE \(keyChanged);
            """
        return [("INSERT", "upsert", "NEW"), ("UPDATE", "upsert", "NEW"), ("DELETE", "delete", "OLD")].map { event, op, row in
            let name = "ferry_capture_\(table)_\(event.lowercased())"
            return Trigger(name: name, statements: ["""
                CREATE TRIGGER \(quote(name)) AFTER \(event) ON \(qualifiedTable) BEGIN
                    \(event == "UPDATE" ? oldKeyDeletion : "")
                    \(insert(op, row));
                END
                """])
        }
    }

    /// A `delete` row of `ferry_changes` as the record it travels as: the key, the old
    /// version (when the triggers kept one), and `_op: delete`.
    /// - Throws: when the version's JSON cannot be read.
    static func deletion(key: [String: Value], version: String?) throws -> [String: Value] {
        var row = key
        row.merge(try PostgresAdapter.object(version)) { current, _ in current }
        row["_op"] = "delete"
        return row
    }
}
