import Foundation
import FerryCore

extension PostgresAdapter {
    /// The table's `bytea` columns (information_schema, SQL standard), whose values
    /// `row_to_json` writes as text: `\x` and lowercase hex.
    func byteaColumns(_ session: Session) throws -> Set<String> {
        Set(try run(session, """
            SELECT column_name::text FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND data_type = 'bytea'
            """, [options.schema, options.table]).compactMap { $0.first ?? nil })
    }

    /// `row` with each of `columns` read back from `\x…` hex text into bytes.
    static func binary(_ row: [String: Value], columns: Set<String>) -> [String: Value] {
        guard !columns.isEmpty else { return row }
        var row = row
        for column in columns {
            guard case .string(let text)? = row[column], text.hasPrefix("\\x"), let bytes = unhex(String(text.dropFirst(2))) else { continue }
            row[column] = .bytes(Data(bytes))
        }
        return row
    }

    /// `values` as `json_populate_record` takes them: bytes and documents as `\x` and hex,
    /// which a `bytea` column reads as its bytes. A document is read whole into memory: a
    /// `bytea` value is at most 1 GB, and the protocol sends it in one piece.
    /// - Throws: a retryable error when a document's file is not in the blob store.
    static func textual(_ values: [String: Value]) throws -> [String: Value] {
        try values.mapValues { value in
            switch value {
            case .bytes(let data): return .string("\\x" + hex(data))
            case .document(let reference):
                guard let path = reference.localPath, let data = FileManager.default.contents(atPath: path) else {
                    throw FerryError.adapter(.retryable, "document \(reference.digest) is not in this node's blob store")
                }
                return .string("\\x" + hex(data))
            default: return value
            }
        }
    }
}
