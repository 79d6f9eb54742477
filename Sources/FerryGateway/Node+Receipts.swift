import Foundation
import FerryCore
import FerrySeal
import FerryQueue
import FerryAudit
import GRDB

extension Node {
    /// Seals a receipt for every fully settled bundle whose lane has a way back. Receipts
    /// themselves are never receipted.
    func sendReceipts() throws -> [ShippedBundle] {
        var sent: [ShippedBundle] = []
        for inbound in try store.read({ db in try BundleLedger.awaitingReceipt(db) }) {
            let parts = inbound.lane.components(separatedBy: "→")
            guard parts.count == 2, let back = topology.lane(from: zone, to: parts[0]) else { continue }
            let lines = try store.read { db in
                try Inbox.outcomes(db, bundle: inbound.id).map {
                    ReceiptLine(bundle: inbound.id, key: $0.key, version: $0.version, outcome: $0.outcome, detail: $0.detail).line
                }
            }
            let id = hex(try randomBytes(16))
            let sequence = try transaction { db in
                try BundleLedger.reserve(db, id: id, lane: back.name, kind: "receipt", records: lines.count)
            }
            try seal(id: id, lane: back.name, sequence: sequence, kind: .receipt, lines: lines)
            guard let bundle = try store.read({ db in try BundleLedger.outbound(db, id: id) }) else { continue }
            // A receipt that cannot be dropped now stays sealed; the next pack ships it.
            do { sent.append(try ship(bundle)) } catch let error as FerryError where error.code.rawValue.hasPrefix("transport") {
                logger.warning("receipt held", metadata: ["lane": .string(back.name), "reason": .string(error.message)])
            }
            try transaction { db in
                try BundleLedger.receipted(db, id: inbound.id)
                try audit.append(db, AuditEvent(.receipted, lane: back.name, bundle: inbound.id, details: [
                    "receipt": .string(id), "records": .int(Int64(lines.count)),
                ]))
            }
        }
        return sent
    }

    /// Marks the bundles a receipt covers as delivered, with their outcome tallies.
    func settleReceipt(_ db: Database, outcomes: [ReceiptLine], lane: String, receipt: String) throws {
        var tallies: [String: [String: Int64]] = [:]
        for line in outcomes {
            tallies[line.bundle, default: [:]][line.outcome, default: 0] += 1
            try BundleLedger.recordOutcome(db, bundle: line.bundle, key: line.key, version: line.version, outcome: line.outcome, detail: line.detail)
        }
        for (bundle, tally) in tallies.sorted(by: { $0.key < $1.key }) {
            let summary = String(decoding: CanonicalJSON.encode(.object(tally.mapValues(Value.int))), as: UTF8.self)
            let known = try BundleLedger.delivered(db, id: bundle, outcome: summary)
            try audit.append(db, AuditEvent(.delivered, lane: lane, bundle: bundle, details: [
                "receipt": .string(receipt), "outcomes": .object(tally.mapValues(Value.int)), "known": .bool(known),
            ]))
        }
    }
}
