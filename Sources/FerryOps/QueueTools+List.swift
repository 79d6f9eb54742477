public import FerryCore
public import FerryQueue
import FerryNode

extension QueueTools {
    /// What `ferry queue list` shows: bundles of both directions and, on request, the
    /// records still waiting in the outbox and inbox, with keys masked when personal and
    /// errors and reasons redacted.
    public typealias Listing = QueueListing

    /// Lists a node's bundles, newest first, at most `limit` per direction, filtered by lane,
    /// flow (records only) and state; with `records`, the waiting records and the newest
    /// quarantined ones (state `quarantined`) with their reasons too.
    public static func list(
        _ target: Target, lane: String? = nil, flow: String? = nil, state: String? = nil, records: Bool = false, limit: Int = 50
    ) throws -> Listing {
        let (store, deployment) = (target.store, target.deployment)
        var listing = try store.read { tx in try tx.listing(lane: lane, flow: flow, state: state, records: records, limit: limit) }
        // Errors and reasons may quote what a system said; stores written before they were masked too.
        let redact = FreeTextRedactor()
        for index in listing.bundles.indices { listing.bundles[index].error = listing.bundles[index].error.map { redact.redact($0) } }
        for index in listing.records.indices {
            listing.records[index].key = deployment.subject(key: listing.records[index].key, entity: listing.records[index].entity)
        }
        let reasons = FreeTextRedactor(limit: Node.quarantineReasonLimit)
        for index in listing.quarantined.indices { listing.quarantined[index].issues = reasons(listing.quarantined[index].issues) }
        return listing
    }
}

extension QueueListing {
    public var value: Value {
        .object([
            "bundles": .list(bundles.map { bundle in
                .object([
                    "direction": .string(bundle.direction), "lane": .string(bundle.lane), "sequence": .int(bundle.sequence),
                    "id": .string(bundle.id), "kind": .string(bundle.kind), "state": .string(bundle.state),
                    "records": .int(Int64(bundle.records)), "at": .string(bundle.at), "attempts": .int(Int64(bundle.attempts)),
                    "error": bundle.error.map(Value.string) ?? .null,
                ])
            }),
            "records": .list(records.map { record in
                .object([
                    "queue": .string(record.queue), "lane": .string(record.lane), "flow": .string(record.flow),
                    "entity": .string(record.entity), "key": .string(record.key), "version": .string(record.version),
                    "state": .string(record.state), "at": .string(record.at), "attempts": .int(Int64(record.attempts)),
                ])
            }),
            "quarantined": .list(quarantined.map { record in
                .object([
                    "flow": .string(record.flow), "stage": .string(record.stage), "key": .string(record.key),
                    "issues": .string(record.issues), "position": record.position.map(Value.string) ?? .null, "at": .string(record.at),
                ])
            }),
        ])
    }
}
