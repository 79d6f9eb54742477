import CFerryMariaDB
import Foundation
import FerryCore

extension MySQLAdapter {
    /// A result row as record values, by the server's column types: integers as `int`
    /// (a `BIGINT UNSIGNED` past Int64 as an exact `decimal`), `DECIMAL` and floating point
    /// as `decimal` text exactly as the server printed it, `TIMESTAMP` as RFC 3339 with the
    /// session's offset, binary columns (`BLOB`, `VARBINARY`, charset 63) as bytes, the rest as text.
    func values(_ row: [[UInt8]?], _ columns: [MySQLConnection.Column]) -> [String: Value] {
        var values: [String: Value] = [:]
        values.reserveCapacity(columns.count)
        for (index, column) in columns.enumerated() {
            guard let bytes = row[index] else { values[column.name] = .null; continue }
            values[column.name] = value(bytes, column)
        }
        return values
    }

    func value(_ bytes: [UInt8], _ column: MySQLConnection.Column) -> Value {
        switch column.type {
        case MYSQL_TYPE_TINY, MYSQL_TYPE_SHORT, MYSQL_TYPE_LONG, MYSQL_TYPE_INT24, MYSQL_TYPE_LONGLONG, MYSQL_TYPE_YEAR:
            let text = String(decoding: bytes, as: UTF8.self)
            return Int64(text).map(Value.int) ?? .decimal(text)
        case MYSQL_TYPE_DECIMAL, MYSQL_TYPE_NEWDECIMAL, MYSQL_TYPE_FLOAT, MYSQL_TYPE_DOUBLE:
            return .decimal(String(decoding: bytes, as: UTF8.self))
        case MYSQL_TYPE_TIMESTAMP:
            return .string(MySQLTime.zoned(String(decoding: bytes, as: UTF8.self), offset: options.timeZone))
        case MYSQL_TYPE_BIT, MYSQL_TYPE_GEOMETRY:
            return .bytes(Data(bytes))
        default:
            if column.isBinary { return .bytes(Data(bytes)) }
            return .string(String(decoding: bytes, as: UTF8.self))
        }
    }

    /// A record value bound for a column: text the server converts by the column's type,
    /// bytes for bytes and documents. An RFC 3339 instant going into a `DATETIME` or
    /// `TIMESTAMP` column is moved to the session's wall clock first.
    /// - Throws: a rejection reason when text holds characters a 3-byte `utf8` column cannot
    ///   store, or a retryable error when a document's file is missing.
    func parameter(_ value: Value, column: ColumnInfo?) throws -> MySQLConnection.Parameter {
        switch value {
        case .null: return .null
        case .bool(let flag): return .text(flag ? "1" : "0")
        case .int(let number): return .int(number)
        case .decimal(let text): return column?.bound(text) ?? .text(text)
        case .string(let text):
            if let column, column.isInteger { return column.bound(text) }
            if let column, column.isTime, let wall = MySQLTime.wallClock(text, offset: options.timeZone) { return .text(wall) }
            if let column, column.isThreeByte, text.unicodeScalars.contains(where: { $0.value > 0xFFFF }) {
                throw RowRefusal(reason: "column \(column.name) is \(column.characterSet ?? "utf8") (3 bytes a character) and cannot hold the "
                    + "4-byte characters this value has (emoji, CJK Extension B); convert it: ALTER TABLE … MODIFY \(column.name) … CHARACTER SET utf8mb4")
            }
            return .text(text)
        case .bytes(let data): return .bytes(data)
        case .document(let reference):
            guard let path = reference.localPath, let data = FileManager.default.contents(atPath: path) else {
                throw FerryError.adapter(.retryable, "document \(reference.digest) is not in this node's blob store")
            }
            return .bytes(data)
        case .list, .object:
            return .text(String(decoding: CanonicalJSON.encode(value), as: UTF8.self))
        }
    }

    /// A row the table cannot take, said before the server is asked.
    struct RowRefusal: Error {
        var reason: String
    }

    /// Server errors that belong to one row's values, not to the table or the connection:
    /// SQLSTATE classes 22 (data) and 23 (integrity), and strict mode's refusals that MySQL
    /// files under HY000 (1366 incorrect value, 1411, 3819/4025 CHECK).
    static func isRowError(_ failure: MySQLConnection.Failure) -> Bool {
        failure.sqlState.hasPrefix("22") || failure.sqlState.hasPrefix("23") || failure.sqlState.hasPrefix("01")
            || [1366, 1367, 1411, 1265, 1264, 1292, 1406, 3819, 4025, 1690, 1364, 1048, 1062].contains(failure.code)
    }

    /// The reason a row is refused, without the value the server quoted back (it may be
    /// personal data): 1366 on a 4-byte character names the `utf8mb4` fix.
    static func refusal(_ failure: MySQLConnection.Failure) -> String {
        if failure.code == 1366, failure.message.contains("\\xF0") {
            let column = failure.message.range(of: " for column ").map { String(failure.message[$0.upperBound...]) } ?? "a column"
            return "4-byte UTF-8 characters (emoji, CJK Extension B) do not fit \(column), which is utf8 (3 bytes a character); "
                + "convert it to CHARACTER SET utf8mb4 (error 1366)"
        }
        // "Incorrect decimal value: '12abc' for column …", "Duplicate entry 'a@x' for key …": the values go.
        return "\(RefusalText.withoutValues(failure.message)) (error \(failure.code), SQLSTATE \(failure.sqlState))"
    }
}
