import Foundation
import GRDB
import Logging
import Testing
import FerryCore
import FerryAudit
import FerrySeal
import FerryQueue
import FerryTestSupport
@testable import FerryNode
@testable import FerryOps
@testable import FerryBench

/// The audit log as an auditor uses it, on the three-network demo: tampering of every kind
/// is found and named, one application is traced across all three networks with valid
/// inclusion proofs, and signed exports chain and verify offline. On both store engines.
@Suite struct AuditLogTests {
    /// A finished demo of 40 applications, its nodes' stores of `kind`.
    static func demo(_ kind: StoreKind = .sqlite) throws -> (directory: URL, config: String, application: String) {
        var options = FerryBench.Demo.Options(directory: DemoTests.temporary("audit"), records: 40)
        // The reconcile tests built on this fixture open their own runs and count what they log.
        options.reconcile = false
        if kind == .postgres { options.store = try StoreKind.postgresURL("audit") }
        _ = try FerryBench.Demo(options: options, logger: Logger(label: "test")).run()
        let portal = try DatabaseQueue(path: options.directory.appendingPathComponent("data/portal.db").path)
        let application = try portal.read { db in try String.fetchOne(db, sql: "SELECT app_no FROM applications ORDER BY app_no LIMIT 1 OFFSET 7") } ?? ""
        return (options.directory, options.directory.appendingPathComponent("ferry.yaml").path, application)
    }

    /// Runs `tamper` on jinhong-gw's store with its guards dropped, as an intruder with the
    /// file or the database's owner would, and returns what verification says.
    func verifyAfter(_ kind: StoreKind, _ tamper: (any StoreConnection) throws -> Void) throws -> FerryError? {
        let (_, config, _) = try Self.demo(kind)
        try Self.store(config, node: "jinhong-gw").write { tx in
            let guards = kind == .sqlite
                ? ["audit_no_update", "audit_no_delete", "audit_records_no_update", "audit_records_no_delete"].map { "DROP TRIGGER \($0)" }
                : ["audit", "audit_records"].flatMap { ["DROP TRIGGER \($0)_no_change ON \($0)", "DROP TRIGGER \($0)_no_truncate ON \($0)"] }
            for statement in guards { try tx.db.execute(sql: statement) }
            try tamper(tx.db)
        }
        do {
            _ = try AuditTools.verify(try Deployment.load(config), node: "jinhong-gw")
            return nil
        } catch let error as FerryError {
            #expect(error.code == .auditBroken)
            return error
        }
    }

    /// Node `node`'s store, opened for writing as the node would.
    static func store(_ config: String, node: String) throws -> NodeStore {
        let topology = try Deployment.load(config).topology
        return try NodeStore(node: try #require(topology.node(named: node)), topology: topology)
    }

    func named(_ error: FerryError?, _ sequence: Int) -> Bool {
        guard let error, case .record(_, let key)? = error.location else { return false }
        return key == "entry \(sequence)" && error.message.contains("\(sequence)")
    }

    @Test(arguments: StoreKind.allCases) func anUntouchedLogVerifiesWithCheckpointsAndIndexes(_ kind: StoreKind) throws {
        let (_, config, _) = try Self.demo(kind)
        for node in ["extranet-gw", "jinhong-gw", "passport-gw"] {
            let result = try AuditTools.verify(try Deployment.load(config), node: node)
            #expect(result.entries > 10 && result.checkpoints >= 1 && result.indexedRecords >= 40, "\(node): \(result)")
            #expect(result.lastCheckpoint == Int64(result.entries), "\(node): the shutdown checkpoint does not sign the head")
        }
        // The passport network runs the SM suite only, so its chain is SM3.
        #expect(try AuditTools.verify(try Deployment.load(config), node: "passport-gw").chain == "sm3")
        #expect(try AuditTools.verify(try Deployment.load(config), node: "extranet-gw").chain == "sha256")
    }

    /// Without dropping the guards first, the engine itself refuses edits in place.
    @Test(arguments: StoreKind.allCases) func theLogRefusesEditsInPlace(_ kind: StoreKind) throws {
        let (_, config, _) = try Self.demo(kind)
        let store = try Self.store(config, node: "jinhong-gw")
        let before = try store.count("SELECT count(*) FROM audit")
        for statement in ["UPDATE audit SET actor = 'intruder' WHERE seq = 3", "DELETE FROM audit WHERE seq = 3", "DELETE FROM audit_records",
            "UPDATE audit_records SET tags = NULL"]
        {
            let refused = #expect(throws: FerryError.self, "\(statement) went through") { try store.write { tx in try tx.db.execute(sql: statement) } }
            #expect(refused?.message.contains("append-only") == true, "\(String(describing: refused))")
        }
        if kind == .postgres {
            #expect(throws: FerryError.self, "TRUNCATE went through") { try store.write { tx in try tx.db.execute(sql: "TRUNCATE audit_records") } }
        }
        #expect(try store.count("SELECT count(*) FROM audit") == before)
        #expect(try AuditTools.verify(try Deployment.load(config), node: "jinhong-gw").entries == before)
    }

    @Test(arguments: StoreKind.allCases) func anEditedEntryIsNamed(_ kind: StoreKind) throws {
        let error = try verifyAfter(kind) { db in try db.execute(sql: kind == .sqlite
                ? "UPDATE audit SET details = json_set(details, '$.records', 39) WHERE seq = 6"
                : "UPDATE audit SET details = jsonb_set(details::jsonb, '{records}', '39')::text WHERE seq = 6") }
        #expect(named(error, 6), "\(String(describing: error))")
        #expect(error?.message.contains("altered") == true)
    }

    @Test(arguments: StoreKind.allCases) func aDeletedEntryIsNamed(_ kind: StoreKind) throws {
        let error = try verifyAfter(kind) { db in try db.execute(sql: "DELETE FROM audit WHERE seq = 5") }
        #expect(named(error, 5), "\(String(describing: error))")
    }

    @Test(arguments: StoreKind.allCases) func anInsertedEntryIsNamed(_ kind: StoreKind) throws {
        // Entries after 4 move up one, and a forged entry 5 chains to 4.
        let error = try verifyAfter(kind) { db in
            try db.execute(sql: "UPDATE audit SET seq = seq + 1000 WHERE seq >= 5")
            try db.execute(sql: "UPDATE audit SET seq = seq - 999 WHERE seq >= 1005")
            try db.execute(sql: """
                INSERT INTO audit(seq, at, node, actor, kind, details, prev_hash, hash)
                SELECT 5, at, node, 'intruder', 'applied', '{}', hash, hash FROM audit WHERE seq = 4
                """)
        }
        #expect(named(error, 5), "\(String(describing: error))")
    }

    @Test(arguments: StoreKind.allCases) func swappedEntriesAreNamed(_ kind: StoreKind) throws {
        let error = try verifyAfter(kind) { db in
            try db.execute(sql: "UPDATE audit SET seq = -1 WHERE seq = 6")
            try db.execute(sql: "UPDATE audit SET seq = 6 WHERE seq = 7")
            try db.execute(sql: "UPDATE audit SET seq = 7 WHERE seq = -1")
        }
        #expect(named(error, 6), "\(String(describing: error))")
    }

    @Test(arguments: StoreKind.allCases) func truncationBeforeTheLastCheckpointIsNamed(_ kind: StoreKind) throws {
        var last = 0
        let error = try verifyAfter(kind) { db in
            last = try db.value(Int.self, sql: "SELECT max(seq) FROM audit") ?? 0
            try db.execute(sql: "DELETE FROM audit WHERE seq > ?", arguments: [last - 3])
        }
        #expect(named(error, last - 2), "\(String(describing: error))")
        #expect(error?.message.contains("cut off") == true)
    }

    @Test(arguments: StoreKind.allCases) func aForgedCheckpointIsNamed(_ kind: StoreKind) throws {
        // The intruder rewrites entry 3 and re-chains everything after it, which only a
        // signature can catch: so they also forge the checkpoint, with a key of their own.
        let forger = try NodeKey.generate(node: "jinhong-gw")
        var sequence = 0
        let error = try verifyAfter(kind) { db in
            sequence = try db.value(Int.self, sql: "SELECT max(seq) FROM audit_checkpoints") ?? 0
            let head: String = try db.value(String.self, sql: "SELECT hash FROM audit WHERE seq = ?", arguments: [sequence]) ?? ""
            let signature = try forger.sign(AuditLog.checkpointStatement(node: "jinhong-gw", sequence: Int64(sequence), head: head, at: "2026-11-25T00:00:00Z", chain: "sm3"))
            let trusted: String = try db.value(String.self, sql: "SELECT key_id FROM audit_checkpoints WHERE seq = ?", arguments: [sequence]) ?? ""
            try db.execute(sql: "UPDATE audit_checkpoints SET at = '2026-11-25T00:00:00Z', signature = ? , key_id = ? WHERE seq = ?",
                arguments: [hex(signature), trusted, sequence])
        }
        #expect(named(error, sequence), "\(String(describing: error))")
        #expect(error?.message.contains("bad signature") == true)
    }

    @Test(arguments: StoreKind.allCases) func anAlteredRecordIndexIsNamed(_ kind: StoreKind) throws {
        // An auditor must not be able to be told a record was rejected when it was applied.
        var sequence = 0
        let error = try verifyAfter(kind) { db in
            sequence = try db.value(Int.self, sql: "SELECT min(seq) FROM audit_records WHERE tags LIKE 'applied%'") ?? 0
            try db.execute(sql: "UPDATE audit_records SET tags = 'rejected' || substr(tags, 8) WHERE seq = ?", arguments: [sequence])
        }
        #expect(named(error, sequence) && error?.message.contains("record index") == true, "\(String(describing: error))")
    }

    @Test(arguments: StoreKind.allCases) func keysMovedBetweenRecordsInTheIndexAreNamed(_ kind: StoreKind) throws {
        // Swapping two records' keys (and rebuilding the filter) would pin one record's trail on another.
        var sequence = 0
        let error = try verifyAfter(kind) { db in
            sequence = try db.value(Int.self, sql: "SELECT min(seq) FROM audit_records") ?? 0
            try db.execute(sql: "UPDATE audit_records SET keys = substr(keys, 17, 16) || substr(keys, 1, 16) || substr(keys, 33) WHERE seq = ?",
                arguments: [sequence])
        }
        #expect(named(error, sequence) && error?.message.contains("record index") == true, "\(String(describing: error))")
    }

    @Test(arguments: StoreKind.allCases) func aBlankedKeyFilterThatWouldHideRecordsIsNamed(_ kind: StoreKind) throws {
        var sequence = 0
        let error = try verifyAfter(kind) { db in
            sequence = try db.value(Int.self, sql: "SELECT min(seq) FROM audit WHERE key_filter IS NOT NULL") ?? 0
            try db.execute(sql: kind == .sqlite
                ? "UPDATE audit SET key_filter = zeroblob(length(key_filter)) WHERE seq = ?"
                : "UPDATE audit SET key_filter = decode(repeat('00', length(key_filter)), 'hex') WHERE seq = ?", arguments: [sequence])
        }
        #expect(named(error, sequence) && error?.message.contains("key filter") == true, "\(String(describing: error))")
    }

    @Test(arguments: StoreKind.allCases) func oneApplicationIsTracedAcrossAllThreeNetworksWithValidProofs(_ kind: StoreKind) throws {
        let (_, config, application) = try Self.demo(kind)
        let trace = try AuditTrace.trace(try Deployment.load(config), key: application)
        let steps = trace.hops.map { "\($0.node) \($0.kind)" }
        for step in ["extranet-gw mapped", "extranet-gw sealed", "jinhong-gw received", "jinhong-gw applied", "extranet-gw delivered",
            "jinhong-gw sealed", "passport-gw received", "passport-gw applied", "passport-gw mapped", "jinhong-gw mapped",
            "extranet-gw received", "extranet-gw applied"]
        {
            #expect(steps.contains(step), "missing \(step) in \(steps)")
        }
        let proven = trace.hops.compactMap(\.proof)
        #expect(proven.count >= 12 && proven.allSatisfy(\.valid))
        #expect(trace.hops.filter { $0.kind == "applied" && $0.proof != nil }.allSatisfy { $0.outcome == "applied" })
        // Causes first: the application is pulled on the extranet before anything else happens to it.
        #expect(steps.first == "extranet-gw mapped")
        if let sealed = steps.firstIndex(of: "extranet-gw sealed"), let received = steps.firstIndex(of: "jinhong-gw received") {
            #expect(sealed < received)
        }

        // From the extranet alone, jinhong's receipt still shows what happened over there, signed.
        let near = try AuditTrace.trace(try Deployment.load(config), key: application, node: "extranet-gw")
        let reported = near.hops.filter { $0.node == "jinhong-gw" }
        #expect(reported.map(\.kind).sorted() == ["applied", "received"])
        #expect(reported.allSatisfy { $0.detail.contains("signed by jinhong-gw (verified)") })

        // The key is looked up by digest; no entry holds it in clear.
        var filter = AuditTools.Filter()
        filter.key = application
        #expect(try AuditTools.log(try Deployment.load(config), filter: filter).count >= 12)
        // A key no entry is about finds nothing, on either engine (an empty IN list is an
        // error on PostgreSQL).
        var unknown = AuditTools.Filter()
        unknown.key = "WB2099999999"
        #expect(try AuditTools.log(try Deployment.load(config), filter: unknown).isEmpty)
        filter.node = "jinhong-gw"
        filter.kinds = ["applied"]
        #expect(try AuditTools.log(try Deployment.load(config), filter: filter).allSatisfy { $0.node == "jinhong-gw" && $0.event.kind == .applied })
        for node in ["extranet-gw", "jinhong-gw", "passport-gw"] {
            let clear = try Self.store(config, node: node).read { tx in
                try tx.db.value(Int.self, sql: "SELECT count(*) FROM audit WHERE details LIKE ? OR subject LIKE ?", arguments: ["%\(application)%", "%\(application)%"])
            }
            #expect(clear == 0, "\(node)'s audit log holds the key in clear")
        }
    }

    @Test(arguments: StoreKind.allCases) func exportsChainAndVerifyOfflineAndTamperingIsLocated(_ kind: StoreKind) throws {
        let (directory, config, _) = try Self.demo(kind)
        let first = directory.appendingPathComponent("1.audit")
        let second = directory.appendingPathComponent("2.audit")
        // Export 1 takes everything so far; its own audit entry, logged a moment later, opens export 2.
        let cut = Timestamp.format(Date().addingTimeInterval(1))
        Thread.sleep(forTimeInterval: 1.2)
        let one = try AuditTools.export(try Deployment.load(config), node: "jinhong-gw", since: "2000-01-01", until: cut, to: first)
        let two = try AuditTools.export(try Deployment.load(config), node: "jinhong-gw", since: cut, until: "2100-01-01", to: second)
        #expect(one.firstSequence == 1 && two.firstSequence == one.lastSequence + 1)
        let checks = try AuditTools.verifyExports(try Deployment.load(config), files: [first, second])
        #expect(checks.map(\.number) == [1, 2])
        #expect(throws: FerryError.self, "exports out of order verified") { try AuditTools.verifyExports(try Deployment.load(config), files: [second, first]) }

        var bytes = try [UInt8](Data(contentsOf: first))
        let offset = bytes.count / 2
        bytes[offset] = bytes[offset] == UInt8(ascii: "1") ? UInt8(ascii: "2") : UInt8(ascii: "1")
        try Data(bytes).write(to: first)
        do {
            _ = try AuditTools.verifyExports(try Deployment.load(config), files: [first, second])
            Issue.record("a changed export verified")
        } catch let error as FerryError {
            guard case .file(let location)? = error.location else { Issue.record("no location: \(error)"); return }
            #expect(location.file == "1.audit" && location.line > 1, "\(error)")
        }
    }
}
