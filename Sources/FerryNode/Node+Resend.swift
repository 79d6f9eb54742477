import Foundation
import FerryCore
import FerrySeal
import FerryQueue
import FerryAudit
import FerryTransport

extension Node {
    /// Asks the sender of every two-way inbound lane with missing sequences to drop them
    /// again, at most once per the lane's `resend_after`. Returns the lanes asked.
    func requestResends(for status: QueueStatus, now: Date) throws -> [String] {
        var asked: [String] = []
        for inbound in status.inbound where !inbound.missing.isEmpty {
            guard let inboundLane = LaneID(inbound.lane), let forward = topology.lane(from: inboundLane.from, to: zone), forward.hasReturn,
                let back = topology.lane(from: zone, to: inboundLane.from)
            else { continue }
            let last = try store.read { tx in try tx.ledger.lastResendRequest(lane: inbound.lane) }
            if let last, let when = Timestamp.parse(last), now.timeIntervalSince(when) < forward.policy.resendAfter { continue }
            let lines = inbound.missing.map { ResendLine(lane: inbound.lane, sequence: $0).line }
            let id = hex(try randomBytes(16))
            let sequence = try store.write { tx in try tx.ledger.reserve(id: id, lane: back.name, kind: .resend, records: lines.count) }
            try seal(id: id, lane: back.name, sequence: sequence, kind: .resend, lines: lines)
            try store.write { tx in
                try tx.ledger.resendRequested(lane: inbound.lane, at: Timestamp.format(now))
                try audit.append(tx, AuditEvent(.resendRequested, lane: inbound.lane, bundle: id, details: [
                    "missing": .list(inbound.missing.map(Value.int)),
                ]))
            }
            if let bundle = try store.read({ tx in try tx.ledger.outbound(id: id) }) {
                do { _ = try ship(bundle) } catch let error as FerryError where error.code.family == .transport {
                    logger.warning("resend request held", metadata: ["lane": .string(back.name), "reason": .string(error.message)])
                }
            }
            asked.append(inbound.lane)
        }
        return asked
    }

    /// Drops again the bundles a receiver says it is missing; they are still in this node's
    /// outgoing folder, unchanged, so the receiver's de-duplication sees the same bundle.
    func resend(_ sequences: [Int64], requestedOn lane: Lane) throws -> Int {
        let forward = "\(zone)→\(lane.from)"
        var count = 0
        for sequence in sequences {
            guard let bundle = try store.read({ tx in try tx.ledger.outbound(lane: forward, sequence: sequence) }),
                let file = bundle.file, FileManager.default.fileExists(atPath: file)
            else {
                try store.write { tx in
                    try audit.append(tx, AuditEvent(.resendImpossible, lane: forward, details: [
                        "sequence": .int(sequence), "reason": "the sealed bundle is no longer kept here",
                    ]))
                }
                continue
            }
            let (target, _) = try route(forward)
            let drop = DirectoryDrop(directory: target.directory)
            let manifest = BundleManifest.location(of: URL(fileURLWithPath: file))
            if target.policy.manifest, FileManager.default.fileExists(atPath: manifest.path) { try drop.ship(manifest) }
            try drop.ship(URL(fileURLWithPath: file))
            try store.write { tx in
                try audit.append(tx, AuditEvent(.resent, lane: forward, bundle: bundle.id, details: ["sequence": .int(sequence)]))
            }
            count += 1
        }
        return count
    }
}
