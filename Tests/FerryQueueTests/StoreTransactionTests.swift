import Foundation
import Testing
import FerryTestSupport
import FerryCore
import FerryQueue
import FerryAudit

/// The store's promises, on both engines (a real SQLite file, a real PostgreSQL schema)
/// and without a node: what shares one transaction commits together or not at all,
/// auditors' read-only opens change nothing, and the ledger moves a bundle only from the
/// states it names.
@Suite struct StoreTransactionTests {
    static func store(_ name: String, _ kind: StoreKind) throws -> NodeStore {
        try kind.fresh(name).open()
    }

    static func entry(_ key: String) -> Outbox.Entry {
        Outbox.Entry(flow: "f", lane: "a→b", entity: "E", key: key, version: "1", line: Array("{\"k\":\"\(key)\"}".utf8))
    }

    struct Interrupted: Error {}

    @Test(arguments: StoreKind.allCases) func aTransactionThatFailsLeavesNothingBehind(_ kind: StoreKind) throws {
        let store = try Self.store("tx-rollback", kind)
        let audit = AuditLog(node: "a")
        #expect(throws: Interrupted.self) {
            try store.write { tx in
                try tx.outbox.enqueue([Self.entry("K1"), Self.entry("K2")])
                try tx.cursors.set(flow: "f", value: "42")
                try audit.append(tx, AuditEvent(.enqueued, flow: "f", details: ["records": 2]))
                throw Interrupted()
            }
        }
        let (pending, cursor, entries) = try store.read { tx in
            (try tx.outbox.pendingCount(), try tx.cursors.get(flow: "f"), try AuditLog.entries(tx))
        }
        #expect(pending == 0 && cursor == nil && entries.isEmpty, "the records, the checkpoint and the audit entry go together")

        try store.write { tx in
            try tx.outbox.enqueue([Self.entry("K1")])
            try tx.cursors.set(flow: "f", value: "43")
            try audit.append(tx, AuditEvent(.enqueued, flow: "f", details: ["records": 1]))
        }
        let committed = try store.read { tx in (try tx.outbox.pendingCount(), try tx.cursors.get(flow: "f"), try AuditLog.entries(tx).count) }
        #expect(committed == (1, "43", 1))
    }

    /// A new SQLite store holds queued records in clear: it and its write-ahead log are
    /// readable by the node's user alone. An existing store keeps the mode it was given.
    @Test func aNewSQLiteStoreIsTheNodesAlone() throws {
        let place = try StoreKind.sqlite.fresh("store-mode")
        let store = try place.open()
        try store.write { tx in try tx.outbox.enqueue([Self.entry("K1")]) }
        func mode(_ path: String) throws -> Int {
            try (FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
        }
        let (database, log) = (try mode(place.path.path), try mode(place.path.path + "-wal"))
        withExtendedLifetime(store) {}
        #expect(database == 0o600 && log == 0o600, "store \(String(database, radix: 8)), log \(String(log, radix: 8))")
        // A file made as usual beside it is not 0600: the umask alone did not do it.
        let control = place.path.deletingLastPathComponent().appendingPathComponent("control")
        #expect(FileManager.default.createFile(atPath: control.path, contents: Data()))
        #expect(try mode(control.path) != 0o600, "the umask makes every file 0600 here: this test cannot tell")
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: place.path.path)
        _ = try place.open()
        #expect(try mode(place.path.path) == 0o640)
    }

    @Test(arguments: StoreKind.allCases) func anAuditorsReadOnlyOpenChangesNothing(_ kind: StoreKind) throws {
        let place = try kind.fresh("tx-readonly")
        if kind == .sqlite {
            let missing = #expect(throws: FerryError.self) { _ = try place.openReadOnly() }
            #expect(missing?.code == .store && missing?.message.contains("no store at") == true)
        }
        let store = try place.open()
        try store.write { tx in try tx.cursors.set(flow: "f", value: "1") }
        let reader = try place.openReadOnly()
        #expect(try reader.read { tx in try tx.cursors.get(flow: "f") } == "1")
        let refused = #expect(throws: FerryError.self) { try reader.write { tx in try tx.cursors.set(flow: "f", value: "2") } }
        #expect(refused?.code == .store, "the refusal arrives as a store error: \(refused?.message ?? "")")
        #expect(try store.read { tx in try tx.cursors.get(flow: "f") } == "1")
    }

    /// Reopening a store migrates nothing twice and every module's tables are there.
    @Test(arguments: StoreKind.allCases) func everyTableIsMigratedOnceInOneOrder(_ kind: StoreKind) throws {
        let place = try kind.fresh("tx-migrate")
        for _ in 0..<2 {
            let store = try place.open()
            try store.write { tx in
                _ = try tx.consoleUsers.save(user: "u", role: "operator", passwordHash: "h")
                try tx.reconcileRuns.recordOpened(flow: "f", target: "t", run: "r", leaves: [])
                try tx.digestIndex.markIncomplete(system: "s", entity: "E")
                _ = try AuditLog.chainAlgorithm(tx, preferred: .sha256)
            }
        }
        let store = try place.open()
        #expect(try store.read { tx in try tx.consoleUsers.credentials(user: "u")?.role } == "operator")
    }

    /// The ledger records a move only from the states the lifecycle names: a late receipt
    /// or a drop racing a receipt changes nothing.
    @Test(arguments: StoreKind.allCases) func theLedgerMovesABundleOnlyFromTheStatesNamed(_ kind: StoreKind) throws {
        let store = try Self.store("tx-ledger", kind)
        try store.write { tx in
            _ = try tx.ledger.reserve(id: "b1", lane: "a→b", kind: .records, records: 1)
            try tx.ledger.sealed(id: "b1", from: [.sealing], file: "/x", contentHash: "h", merkleRoot: "r")
            try tx.ledger.sealed(id: "b1", from: [.sealing], file: "/elsewhere", contentHash: "h2", merkleRoot: "r2")
        }
        #expect(try store.read { tx in try tx.ledger.outbound(id: "b1")?.file } == "/x", "sealed once")
        let firstReceipt = try store.write { tx in
            try tx.ledger.dropped(id: "b1", from: [.sealed, .shipped], to: .shipped)
            return try tx.ledger.delivered(id: "b1", from: [.sealed, .shipped], outcome: "{}")
        }
        let (secondReceipt, state, copies) = try store.write { tx in
            let again = try tx.ledger.delivered(id: "b1", from: [.sealed, .shipped], outcome: "{\"late\":1}")
            try tx.ledger.dropped(id: "b1", from: [.sealed, .shipped], to: .shipped)
            try tx.ledger.dead(id: "b1", from: [.sealed, .shipped], error: "refused")
            let bundle = try tx.ledger.outbound(id: "b1")
            return (again, bundle?.state, bundle?.copies)
        }
        #expect(firstReceipt && !secondReceipt)
        #expect(state == .delivered && copies == 1, "a delivered bundle stays delivered, dropped once")
        #expect(try store.read { tx in try tx.ledger.receiptOutcome(id: "b1") } == "{}")
    }

    /// A job claimed by one worker is refused to others until the claim runs out, its
    /// worker is known to be gone, or it is given back; renewing moves it on.
    @Test(arguments: StoreKind.allCases) func aClaimIsExclusiveUntilItRunsOutOrIsGivenBack(_ kind: StoreKind) throws {
        let store = try Self.store("tx-claims", kind)
        func take(_ worker: String, at now: String, until: String = "2026-12-01T10:00:30Z", gone: @escaping (String) -> Bool = { _ in false }) throws
            -> WorkLeases.Claim
        {
            try store.claim { try $0.take("flow:f", holder: worker, now: now, until: until, gone: gone) }
        }
        #expect(try take("w1", at: "2026-12-01T10:00:00Z") == .taken)
        #expect(try take("w2", at: "2026-12-01T10:00:10Z") == .held(by: "w1", until: "2026-12-01T10:00:30Z"))
        #expect(try take("w1", at: "2026-12-01T10:00:10Z") == .taken, "its own worker renews it")
        #expect(try take("w2", at: "2026-12-01T10:00:10Z", gone: { $0 == "w1" }) == .taken, "a worker known gone gives it up at once")
        try store.claim { try $0.renew(holder: "w2", until: "2026-12-01T10:01:00Z") }
        #expect(try take("w3", at: "2026-12-01T10:00:45Z") == .held(by: "w2", until: "2026-12-01T10:01:00Z"), "renewed past the first expiry")
        #expect(try take("w3", at: "2026-12-01T10:01:00Z", until: "2099-01-01T00:00:00Z") == .taken, "run out")
        #expect(try store.read { tx in try tx.queueStatus() }.claims.map(\.name) == ["flow:f"], "queue status shows who holds which job")
        try store.claim { try $0.release("flow:f", holder: "w2") }
        #expect(try store.read { tx in try tx.leases.held(now: "2026-12-01T10:01:10Z") }.map(\.holder) == ["w3"], "only its holder gives it back")
        try store.claim { try $0.release("flow:f", holder: "w3") }
        #expect(try store.read { tx in try tx.leases.held(now: "2026-12-01T10:01:10Z") }.isEmpty)
        #expect(try take("w1", at: "2026-12-01T10:01:10Z") == .taken)
    }
}
