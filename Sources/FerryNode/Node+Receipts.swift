import Foundation
import FerryCore
import FerrySeal
import FerryQueue
import FerryAudit

extension Node {
    /// Seals a receipt for every fully settled bundle whose lane has a way back. Receipts
    /// themselves are never receipted.
    func sendReceipts() throws -> [ShippedBundle] {
        var sent: [ShippedBundle] = []
        for inbound in try store.read({ tx in try tx.ledger.awaitingReceipt() }) {
            guard let inboundLane = LaneID(inbound.lane), let back = topology.lane(from: zone, to: inboundLane.from) else { continue }
            let lines = try store.read { tx in
                try tx.inbox.outcomes(bundle: inbound.id).map {
                    ReceiptLine(bundle: inbound.id, entity: $0.entity, key: $0.key, version: $0.version, outcome: $0.outcome, detail: $0.detail).line
                } + [ReceiptLine.evidenceLine(try audit.evidence(tx, forBundle: inbound.id))]
            }
            let id = hex(try randomBytes(16))
            let sequence = try store.write { tx in
                try tx.ledger.reserve(id: id, lane: back.name, kind: .receipt, records: lines.count)
            }
            try seal(id: id, lane: back.name, sequence: sequence, kind: .receipt, lines: lines)
            guard let bundle = try store.read({ tx in try tx.ledger.outbound(id: id) }) else { continue }
            // A receipt that cannot be dropped now stays sealed; the next pack ships it.
            do { sent.append(try ship(bundle)) } catch let error as FerryError where error.code.family == .transport {
                logger.warning("receipt held", metadata: ["lane": .string(back.name), "reason": .string(error.message)])
            }
            try store.write { tx in
                try tx.ledger.receipted(id: inbound.id)
                try audit.append(tx, AuditEvent(.receipted, lane: back.name, bundle: inbound.id, details: [
                    "receipt": .string(id), "records": .int(Int64(lines.count)),
                ]))
            }
        }
        return sent
    }

    /// Marks the bundles a receipt covers as delivered, with their outcome tallies, the far
    /// side's evidence, and an index of each record's outcome.
    func settleReceipt(_ tx: StoreTransaction, outcomes: [ReceiptLine], evidence: [Value], lane: String, receipt: String, sender: String) throws {
        var tallies: [String: [String: Int64]] = [:]
        var leaves: [String: [AuditLeaf]] = [:]
        for line in outcomes {
            tallies[line.bundle, default: [:]][line.outcome, default: 0] += 1
            // The far side masks what its targets said; a node of an older release may not have.
            try tx.ledger.recordOutcome(bundle: line.bundle, key: line.key, version: line.version, outcome: line.outcome,
                detail: line.detail.map(FreeTextRedactor().redact))
            // The outcome comes from the far side: only a plain word may become a tag.
            let tag = !line.outcome.isEmpty && line.outcome.allSatisfy({ $0.isASCII && ($0.isLowercase || $0 == "-") }) ? line.outcome : "unknown"
            if let entity = line.entity, let leaf = leaf(entity: entity, key: line.key, line: line.line, tag: tag) {
                leaves[line.bundle, default: []].append(leaf)
            }
        }
        try forgetRefused(tx, outcomes)
        var far: [String: Value] = [:]
        for case .object(let item) in evidence {
            if let bundle = item["bundle"]?.text { far[bundle] = .object(item) }
        }
        // A documents bundle's receipt has no outcome lines, only the far side's evidence.
        for bundle in far.keys where tallies[bundle] == nil { tallies[bundle] = [:] }
        for (bundle, tally) in tallies.sorted(by: { $0.key < $1.key }) {
            let summary = String(decoding: CanonicalJSON.encode(.object(tally.mapValues(Value.int))), as: UTF8.self)
            let known = try tx.ledger.delivered(id: bundle, from: OutboundLifecycle.sources(of: .receipt), outcome: summary)
            var details: [String: Value] = [
                "receipt": .string(receipt), "outcomes": .object(tally.mapValues(Value.int)), "known": .bool(known), "from": .string(sender),
            ]
            if let evidence = far[bundle] { details["far"] = evidence }
            try audit.append(tx, AuditEvent(.delivered, lane: lane, bundle: bundle, details: details, leaves: leaves[bundle] ?? []))
        }
    }

    /// A record a target refused (rejected, a conflict case, a dead letter) is not "sent" for
    /// the purpose of sending only what changed: once the cause is fixed there, the next read
    /// of the row sends it again instead of finding it unchanged.
    func forgetRefused(_ tx: StoreTransaction, _ outcomes: [ReceiptLine]) throws {
        let refused = outcomes.filter { ["rejected", "conflict", "dead"].contains($0.outcome) }
        for (bundle, lines) in Dictionary(grouping: refused, by: \.bundle) {
            let keys = Set(lines.map(\.key))
            for item in try tx.outbox.items(bundle: bundle) where keys.contains(item.key) {
                try tx.sentDigests.forget(flow: item.flow, key: item.key, digest: Array(FerrySeal.Hasher.sha256(item.line).prefix(16)))
            }
        }
    }
}
