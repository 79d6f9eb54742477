import FerryCore
import FerryQueue
import FerryMapping

extension Node {
    /// A record's entry in the digest index: its pair, or a removal for a deletion; nil
    /// without a digest key.
    func indexChange(_ record: FerryCore.Record, schema: EntitySchema) -> DigestIndex.Change? {
        guard let digester else { return nil }
        let key = Array(digester.keyDigest(entity: record.entity, key: record.key).prefix(16))
        return DigestIndex.Change(key: key, digest: record.operation == .delete ? nil : digester.digest(record, schema: schema))
    }
}
