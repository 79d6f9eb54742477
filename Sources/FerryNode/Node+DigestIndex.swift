import FerryCore
import FerryQueue
import FerryMapping

extension Node {
    /// A record's entry in the digest index: its pair, or a removal for a deletion; nil
    /// without a digest key.
    func indexChange(_ record: FerryCore.Record, schema: EntitySchema) -> DigestIndex.Change? {
        guard let digester else { return nil }
        return indexChange(record, schema: schema, keyDigest: digester.keyDigest(entity: record.entity, key: record.key))
    }

    /// The same, with the record's key digest already taken (for its audit leaf).
    func indexChange(_ record: FerryCore.Record, schema: EntitySchema, keyDigest: [UInt8]) -> DigestIndex.Change {
        let digest = record.operation == .delete ? nil : digester?.digest(record, schema: schema)
        return DigestIndex.Change(key: Array(keyDigest.prefix(16)), digest: digest)
    }
}
