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
            guard let inboundLane = LaneID(inbound.lane), let back = topology.lane(from: zone, to: inboundLane.from) else { continue }
            let lines = try store.read { db in
                try Inbox.outcomes(db, bundle: inbound.id).map {
                    ReceiptLine(bundle: inbound.id, entity: $0.entity, key: $0.key, version: $0.version, outcome: $0.outcome, detail: $0.detail).line
                } + [ReceiptLine.evidenceLine(try auditEvidence(db, bundle: inbound.id))]
            }
            let id = hex(try randomBytes(16))
            let sequence = try transaction { db in
                try BundleLedger.reserve(db, id: id, lane: back.name, kind: .receipt, records: lines.count)
            }
            try seal(id: id, lane: back.name, sequence: sequence, kind: .receipt, lines: lines)
            guard let bundle = try store.read({ db in try BundleLedger.outbound(db, id: id) }) else { continue }
            // A receipt that cannot be dropped now stays sealed; the next pack ships it.
            do { sent.append(try ship(bundle)) } catch let error as FerryError where error.code.family == .transport {
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

    /// This node's entries about an inbound bundle, for the receipt: the far side keeps
    /// them as proof of what happened here.
    func auditEvidence(_ db: Database, bundle: String) throws -> [String: Value] {
        func summary(_ row: Row) -> Value {
            var entry: [String: Value] = [:]
            entry["seq"] = .int(row["seq"] as Int64)
            for name in ["kind", "at", "hash"] { entry[name] = .string(row[name] as String) }
            if case .object(let details)? = try? CanonicalJSON.decode(Array((row["details"] as String).utf8)) {
                for name in ["records_root", "merkle_root", "outcomes", "targets"] { entry[name] = details[name] }
            }
            return .object(entry)
        }
        let entries = try Row.fetchAll(db, sql: "SELECT * FROM audit WHERE bundle = ? AND kind IN ('received', 'applied') ORDER BY seq", arguments: [bundle])
        var evidence: [String: Value] = ["node": .string(name), "bundle": .string(bundle), "entries": .list(entries.map(summary))]
        if let checkpoint = try Row.fetchOne(db, sql: "SELECT * FROM audit_checkpoints ORDER BY seq DESC LIMIT 1") {
            var signed: [String: Value] = ["seq": .int(checkpoint["seq"] as Int64), "chain": .string(audit.algorithm.rawValue)]
            for name in ["at", "head", "key_id", "signature"] { signed[name] = .string(checkpoint[name] as String) }
            evidence["checkpoint"] = .object(signed)
        }
        return evidence
    }

    /// Marks the bundles a receipt covers as delivered, with their outcome tallies, the far
    /// side's evidence, and an index of each record's outcome.
    func settleReceipt(_ db: Database, outcomes: [ReceiptLine], evidence: [Value], lane: String, receipt: String, sender: String) throws {
        var tallies: [String: [String: Int64]] = [:]
        var leaves: [String: [AuditLeaf]] = [:]
        for line in outcomes {
            tallies[line.bundle, default: [:]][line.outcome, default: 0] += 1
            // The far side masks what its targets said; a node of an older release may not have.
            try BundleLedger.recordOutcome(db, bundle: line.bundle, key: line.key, version: line.version, outcome: line.outcome,
                detail: line.detail.map(FreeTextRedactor().redact))
            // The outcome comes from the far side: only a plain word may become a tag.
            let tag = !line.outcome.isEmpty && line.outcome.allSatisfy({ $0.isASCII && ($0.isLowercase || $0 == "-") }) ? line.outcome : "unknown"
            if let entity = line.entity, let leaf = leaf(entity: entity, key: line.key, line: line.line, tag: tag) {
                leaves[line.bundle, default: []].append(leaf)
            }
        }
        try forgetRefused(db, outcomes)
        var far: [String: Value] = [:]
        for case .object(let item) in evidence {
            if let bundle = item["bundle"]?.text { far[bundle] = .object(item) }
        }
        for (bundle, tally) in tallies.sorted(by: { $0.key < $1.key }) {
            let summary = String(decoding: CanonicalJSON.encode(.object(tally.mapValues(Value.int))), as: UTF8.self)
            let known = try BundleLedger.delivered(db, id: bundle, outcome: summary)
            var details: [String: Value] = [
                "receipt": .string(receipt), "outcomes": .object(tally.mapValues(Value.int)), "known": .bool(known), "from": .string(sender),
            ]
            if let evidence = far[bundle] { details["far"] = evidence }
            try audit.append(db, AuditEvent(.delivered, lane: lane, bundle: bundle, details: details, leaves: leaves[bundle] ?? []))
        }
    }

    /// A record a target refused (rejected, a conflict case, a dead letter) is not "sent" for
    /// the purpose of sending only what changed: once the cause is fixed there, the next read
    /// of the row sends it again instead of finding it unchanged.
    func forgetRefused(_ db: Database, _ outcomes: [ReceiptLine]) throws {
        let refused = outcomes.filter { ["rejected", "conflict", "dead"].contains($0.outcome) }
        for (bundle, lines) in Dictionary(grouping: refused, by: \.bundle) {
            let keys = Set(lines.map(\.key))
            for item in try Outbox.items(db, bundle: bundle) where keys.contains(item.key) {
                try SentDigests.forget(db, flow: item.flow, key: item.key, digest: Array(FerrySeal.Hasher.sha256(item.line).prefix(16)))
            }
        }
    }
}
