import FerryCore

/// Where a keyset read stands, as the mysql and odbc adapters checkpoint it: the last cursor
/// value and primary key read (keyset paging over (cursor, key)), or the last change
/// sequence under change capture, with the key a first snapshot reached.
struct KeysetPosition {
    var value: String?
    var key: [String]?
    var sequence: Int64 = 0
    var snapshot: [String]?
    var cursor: String?

    init(_ text: String?) throws {
        guard let text else { return }
        guard case .object(let object) = try? CanonicalJSON.decode(Array(text.utf8)) else {
            throw FerryError.adapter(.configuration, "unreadable checkpoint '\(text)'", hint: "reset it with 'ferry queue reset-checkpoint'")
        }
        value = object["value"]?.text
        cursor = object["cursor"]?.text
        if case .list(let parts)? = object["key"] { key = parts.map { $0.text ?? "" } }
        if case .list(let parts)? = object["snapshot"] { snapshot = parts.map { $0.text ?? "" } }
        if case .int(let sequence)? = object["seq"] { self.sequence = sequence }
    }

    var text: String {
        var object: [String: Value] = ["value": value.map(Value.string) ?? .null, "seq": .int(sequence)]
        if let key { object["key"] = .list(key.map(Value.string)) }
        if let snapshot { object["snapshot"] = .list(snapshot.map(Value.string)) }
        if let cursor { object["cursor"] = .string(cursor) }
        return String(decoding: CanonicalJSON.encode(.object(object)), as: UTF8.self)
    }
}

extension KeysetPosition {
    /// A keyset page's rows as a batch: their records, each row's position (table and key),
    /// and the page's last key; `advances` moves this position to the last row's cursor
    /// value and key (pages of rows without a cursor value do not). Shared by the mysql and
    /// odbc readers, whose checkpoints have this one shape.
    mutating func page(_ rows: [[[UInt8]?]], names: [String], key: [String], cursor: String, table: String, advances: Bool,
        values: ([[UInt8]?]) -> [String: Value]) -> (batch: SourceBatch?, lastKey: [String]?)
    {
        guard !rows.isEmpty else { return (nil, nil) }
        let keyIndexes = key.compactMap { names.firstIndex(of: $0) }
        let cursorIndex = names.firstIndex(of: cursor)
        func text(_ bytes: [UInt8]?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }
        var batch = SourceBatch(rows: [], positions: [], checkpoint: "")
        var lastKey: [String] = []
        for row in rows {
            lastKey = keyIndexes.map { text(row[$0]) ?? "" }
            batch.rows.append(values(row))
            batch.positions.append("\(table) key \(lastKey.joined(separator: ","))")
            guard advances, let cursorIndex else { continue }
            value = text(row[cursorIndex])
            self.key = lastKey
        }
        batch.checkpoint = self.text
        return (batch, lastKey)
    }
}
