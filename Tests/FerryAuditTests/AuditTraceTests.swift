import Foundation
import GRDB
import Testing
import FerryTestSupport
import FerryCore
import FerrySeal
import FerryQueue
@testable import FerryAudit

/// Tracing one record through audit logs on real stores, without a node: every entry about
/// it is found, batch entries come with a Merkle proof that checks, single-record entries
/// come by their key digest, and an altered record index shows as a proof that fails.
@Suite struct AuditTraceTests {
    static func key(_ n: UInt8) -> [UInt8] { Array(repeating: n, count: 16) }

    static func leaves(_ count: UInt8, tag: String? = nil) -> [AuditLeaf] {
        (1...count).map { AuditLeaf(key: key($0), hash: Hasher.sha256([$0]), tag: tag) }
    }

    /// A node's store with a sealed batch of five records, an applied batch (with
    /// outcomes) on another node, and one single-record event; both on engine `kind`.
    static func stores(_ kind: StoreKind) throws -> [AuditTrace.Source] {
        let sender = try kind.fresh("trace-a").open()
        try sender.write { tx in
            try AuditLog(node: "a").append(tx, AuditEvent(.sealed, lane: "x→y", bundle: "b1", details: ["sequence": 1], leaves: leaves(5)))
            try AuditLog(node: "a").append(tx, AuditEvent(.quarantined, flow: "f", keyDigest: hex(key(3)), details: ["rules": ["cn_resident_id"]]))
        }
        let receiver = try kind.fresh("trace-b").open()
        try receiver.write { tx in
            try AuditLog(node: "b").append(tx, AuditEvent(.applied, lane: "x→y", bundle: "b1", details: ["targets": ["approval"]],
                leaves: leaves(5, tag: "applied")))
        }
        return [AuditTrace.Source(node: "a", zone: "x", store: sender), AuditTrace.Source(node: "b", zone: "y", store: receiver)]
    }

    @Test(arguments: StoreKind.allCases) func everyEntryAboutARecordIsFoundWithItsProof(_ kind: StoreKind) throws {
        let trace = try AuditTrace.trace(key: "K3", keyDigests: [Self.key(3)], in: try Self.stores(kind), trust: TrustStore([]), zoneOf: { _ in "?" })
        #expect(trace.hops.map(\.kind) == ["sealed", "quarantined", "applied"], "causes first: \(trace.hops.map(\.kind))")
        let sealed = try #require(trace.hops.first { $0.kind == "sealed" })
        #expect(sealed.proof?.index == 2 && sealed.proof?.count == 5 && sealed.proof?.valid == true && sealed.zone == "x")
        let applied = try #require(trace.hops.first { $0.kind == "applied" })
        #expect(applied.outcome == "applied" && applied.proof?.valid == true && applied.detail == "applied to approval")
        #expect(trace.hops.first { $0.kind == "quarantined" }?.proof == nil)
        let none = try AuditTrace.trace(key: "K9", keyDigests: [Self.key(9)], in: try Self.stores(kind), trust: TrustStore([]), zoneOf: { _ in "?" })
        #expect(none.hops.isEmpty)
    }

    @Test(arguments: StoreKind.allCases) func anAlteredRecordIndexFailsItsProof(_ kind: StoreKind) throws {
        let sources = try Self.stores(kind)
        try sources[0].store.write { tx in
            let db = tx.db
            try db.execute(sql: kind == .sqlite ? "DROP TRIGGER audit_records_no_update" : "DROP TRIGGER audit_records_no_change ON audit_records")
            // Another record's hash in leaf 2's place, as an intruder with the file would.
            let hashes = Data(Hasher.sha256([1]) + Hasher.sha256([2]) + Hasher.sha256([9]) + Hasher.sha256([4]) + Hasher.sha256([5]))
            try db.execute(sql: "UPDATE audit_records SET hashes = ? WHERE seq = 1", arguments: [hashes])
        }
        let trace = try AuditTrace.trace(key: "K3", keyDigests: [Self.key(3)], in: sources, trust: TrustStore([]), zoneOf: { _ in "?" })
        #expect(trace.hops.first { $0.kind == "sealed" }?.proof?.valid == false)
        #expect(trace.hops.first { $0.kind == "applied" }?.proof?.valid == true, "the other node's log is untouched")
    }
}
