import Foundation
import GRDB
import Logging
import Testing
import FerryCore
import FerryAudit
import FerrySeal
@testable import FerryNode
@testable import FerryOps
@testable import FerryBench

/// The audit log as an auditor uses it, on the three-network demo: tampering of every kind
/// is found and named, one application is traced across all three networks with valid
/// inclusion proofs, and signed exports chain and verify offline.
@Suite struct AuditLogTests {
    /// A finished demo of 40 applications.
    static func demo() throws -> (directory: URL, config: String, application: String) {
        let options = FerryBench.Demo.Options(directory: DemoTests.temporary("audit"), records: 40)
        _ = try FerryBench.Demo(options: options, logger: Logger(label: "test")).run()
        let portal = try DatabaseQueue(path: options.directory.appendingPathComponent("data/portal.db").path)
        let application = try portal.read { db in try String.fetchOne(db, sql: "SELECT app_no FROM applications ORDER BY app_no LIMIT 1 OFFSET 7") } ?? ""
        return (options.directory, options.directory.appendingPathComponent("ferry.yaml").path, application)
    }

    /// Runs `tamper` on jinhong-gw's store with its guards dropped, as an intruder with the
    /// file would, and returns what verification says.
    func verifyAfter(_ tamper: (Database) throws -> Void) throws -> FerryError? {
        let (directory, config, _) = try Self.demo()
        let store = try DatabaseQueue(path: directory.appendingPathComponent("state/jinhong-gw.db").path)
        try store.write { db in
            for trigger in ["audit_no_update", "audit_no_delete", "audit_records_no_update", "audit_records_no_delete"] {
                try db.execute(sql: "DROP TRIGGER \(trigger)")
            }
            try tamper(db)
        }
        do {
            _ = try AuditTools.verify(try Deployment.load(config), node: "jinhong-gw")
            return nil
        } catch let error as FerryError {
            #expect(error.code == .auditBroken)
            return error
        }
    }

    func named(_ error: FerryError?, _ sequence: Int) -> Bool {
        guard let error, case .record(_, let key)? = error.location else { return false }
        return key == "entry \(sequence)" && error.message.contains("\(sequence)")
    }

    @Test func anUntouchedLogVerifiesWithCheckpointsAndIndexes() throws {
        let (_, config, _) = try Self.demo()
        for node in ["extranet-gw", "jinhong-gw", "passport-gw"] {
            let result = try AuditTools.verify(try Deployment.load(config), node: node)
            #expect(result.entries > 10 && result.checkpoints >= 1 && result.indexedRecords >= 40, "\(node): \(result)")
            #expect(result.lastCheckpoint == Int64(result.entries), "\(node): the shutdown checkpoint does not sign the head")
        }
        // The passport network runs the SM suite only, so its chain is SM3.
        #expect(try AuditTools.verify(try Deployment.load(config), node: "passport-gw").chain == "sm3")
        #expect(try AuditTools.verify(try Deployment.load(config), node: "extranet-gw").chain == "sha256")
    }

    @Test func anEditedEntryIsNamed() throws {
        let error = try verifyAfter { db in try db.execute(sql: "UPDATE audit SET details = json_set(details, '$.records', 39) WHERE seq = 6") }
        #expect(named(error, 6), "\(String(describing: error))")
        #expect(error?.message.contains("altered") == true)
    }

    @Test func aDeletedEntryIsNamed() throws {
        let error = try verifyAfter { db in try db.execute(sql: "DELETE FROM audit WHERE seq = 5") }
        #expect(named(error, 5), "\(String(describing: error))")
    }

    @Test func anInsertedEntryIsNamed() throws {
        // Entries after 4 move up one, and a forged entry 5 chains to 4.
        let error = try verifyAfter { db in
            try db.execute(sql: "UPDATE audit SET seq = seq + 1000 WHERE seq >= 5")
            try db.execute(sql: "UPDATE audit SET seq = seq - 999 WHERE seq >= 1005")
            try db.execute(sql: """
                INSERT INTO audit(seq, at, node, actor, kind, details, prev_hash, hash)
                SELECT 5, at, node, 'intruder', 'applied', '{}', hash, hash FROM audit WHERE seq = 4
                """)
        }
        #expect(named(error, 5), "\(String(describing: error))")
    }

    @Test func swappedEntriesAreNamed() throws {
        let error = try verifyAfter { db in
            try db.execute(sql: "UPDATE audit SET seq = -1 WHERE seq = 6")
            try db.execute(sql: "UPDATE audit SET seq = 6 WHERE seq = 7")
            try db.execute(sql: "UPDATE audit SET seq = 7 WHERE seq = -1")
        }
        #expect(named(error, 6), "\(String(describing: error))")
    }

    @Test func truncationBeforeTheLastCheckpointIsNamed() throws {
        var last = 0
        let error = try verifyAfter { db in
            last = try Int.fetchOne(db, sql: "SELECT max(seq) FROM audit") ?? 0
            try db.execute(sql: "DELETE FROM audit WHERE seq > ?", arguments: [last - 3])
        }
        #expect(named(error, last - 2), "\(String(describing: error))")
        #expect(error?.message.contains("cut off") == true)
    }

    @Test func aForgedCheckpointIsNamed() throws {
        // The intruder rewrites entry 3 and re-chains everything after it, which only a
        // signature can catch: so they also forge the checkpoint, with a key of their own.
        let forger = try NodeKey.generate(node: "jinhong-gw")
        var sequence = 0
        let error = try verifyAfter { db in
            sequence = try Int.fetchOne(db, sql: "SELECT max(seq) FROM audit_checkpoints") ?? 0
            let head: String = try String.fetchOne(db, sql: "SELECT hash FROM audit WHERE seq = ?", arguments: [sequence]) ?? ""
            let signature = try forger.sign(AuditLog.checkpointStatement(node: "jinhong-gw", sequence: Int64(sequence), head: head, at: "2026-11-25T00:00:00Z", chain: "sm3"))
            let trusted: String = try String.fetchOne(db, sql: "SELECT key_id FROM audit_checkpoints WHERE seq = ?", arguments: [sequence]) ?? ""
            try db.execute(sql: "UPDATE audit_checkpoints SET at = '2026-11-25T00:00:00Z', signature = ? , key_id = ? WHERE seq = ?",
                arguments: [hex(signature), trusted, sequence])
        }
        #expect(named(error, sequence), "\(String(describing: error))")
        #expect(error?.message.contains("bad signature") == true)
    }

    @Test func anAlteredRecordIndexIsNamed() throws {
        // An auditor must not be able to be told a record was rejected when it was applied.
        var sequence = 0
        let error = try verifyAfter { db in
            sequence = try Int.fetchOne(db, sql: "SELECT min(seq) FROM audit_records WHERE tags LIKE 'applied%'") ?? 0
            try db.execute(sql: "UPDATE audit_records SET tags = 'rejected' || substr(tags, 8) WHERE seq = ?", arguments: [sequence])
        }
        #expect(named(error, sequence) && error?.message.contains("record index") == true, "\(String(describing: error))")
    }

    @Test func keysMovedBetweenRecordsInTheIndexAreNamed() throws {
        // Swapping two records' keys (and rebuilding the filter) would pin one record's trail on another.
        var sequence = 0
        let error = try verifyAfter { db in
            sequence = try Int.fetchOne(db, sql: "SELECT min(seq) FROM audit_records") ?? 0
            try db.execute(sql: "UPDATE audit_records SET keys = substr(keys, 17, 16) || substr(keys, 1, 16) || substr(keys, 33) WHERE seq = ?",
                arguments: [sequence])
        }
        #expect(named(error, sequence) && error?.message.contains("record index") == true, "\(String(describing: error))")
    }

    @Test func aBlankedKeyFilterThatWouldHideRecordsIsNamed() throws {
        var sequence = 0
        let error = try verifyAfter { db in
            sequence = try Int.fetchOne(db, sql: "SELECT min(seq) FROM audit WHERE key_filter IS NOT NULL") ?? 0
            try db.execute(sql: "UPDATE audit SET key_filter = zeroblob(length(key_filter)) WHERE seq = ?", arguments: [sequence])
        }
        #expect(named(error, sequence) && error?.message.contains("key filter") == true, "\(String(describing: error))")
    }

    @Test func oneApplicationIsTracedAcrossAllThreeNetworksWithValidProofs() throws {
        let (_, config, application) = try Self.demo()
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
        filter.node = "jinhong-gw"
        filter.kinds = ["applied"]
        #expect(try AuditTools.log(try Deployment.load(config), filter: filter).allSatisfy { $0.node == "jinhong-gw" && $0.event.kind == .applied })
        for node in ["extranet-gw", "jinhong-gw", "passport-gw"] {
            let store = try DatabaseQueue(path: URL(fileURLWithPath: config).deletingLastPathComponent().appendingPathComponent("state/\(node).db").path)
            let clear = try store.read { db in
                try Int.fetchOne(db, sql: "SELECT count(*) FROM audit WHERE details LIKE ? OR subject LIKE ?", arguments: ["%\(application)%", "%\(application)%"])
            }
            #expect(clear == 0, "\(node)'s audit log holds the key in clear")
        }
    }

    @Test func exportsChainAndVerifyOfflineAndTamperingIsLocated() throws {
        let (directory, config, _) = try Self.demo()
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
