import Foundation
import GRDB
import Testing
import FerryTestSupport
import FerryCore
import FerryAudit
import FerryQueue
import FerryAdapters
@testable import FerryNode
@testable import FerryOps

/// A real sink program that dies on one applicant's record and prints the record on its
/// standard error, as scripts do: its text must reach the dead letter, the audit log, the
/// trace and the sender's receipt view with the ID number, passport number, mobile number
/// and name masked, and no other applicant's record may carry it.
@Suite struct RealWorldPersonalDataTests {
    static let id = "350503198809141506"
    static let passport = "E12345678"
    static let mobile = "139 1234 5678"
    static let name = "王伟"

    /// An exec sink that keeps records in a file and exits on the record of `id`, printing
    /// it (JSON, ASCII only as Python writes it by default) on standard error. With `always`
    /// it dies on the first record of every call, quoting that record's ID number.
    static func ledger(always: Bool) -> String {
        """
        import json, sys
        stored = open(sys.argv[1], "a", encoding="utf-8")
        for line in sys.stdin:
            message = json.loads(line)
            if message.get("type") != "RECORD":
                continue
            record = message["record"]
            if \(always ? "True" : "record.get('SFZH') == '\(id)'"):
                sys.stderr.write("ValueError: cannot store row %s (id %s)\\n" % (json.dumps(record), record.get("SFZH")))
                sys.exit(1)
            stored.write(record["SQBH"] + "\\n")
            stored.flush()
            print(json.dumps({"type": "OUTCOME", "index": message["index"], "outcome": "applied"}), flush=True)
        """
    }

    /// The `ferry init` deployment whose applications go to `ledger`, an exec program in the
    /// approval system's zone, with `records` applications of which the second is the one above.
    static func fixture(_ name: String, always: Bool = false, records: Int = 4, attempts: Int = 2) throws -> TwoZoneFixture {
        try TwoZoneFixture(name, edits: [
            (file: "ferry.yaml", old: "to: [approval]", new: "to: [ledger]"),
            (file: "ferry.yaml", old: "\nflows:", new: """

                  ledger:
                    zone: jinhong
                    level: municipal
                    adapter: exec
                    options: { command: [python3, ledger.py, data/ledger.txt], timeout: 20 }
                    maps:
                      TravelApplication: { file: Mappings/foreign-affairs/ledger.yaml }

                retry: { attempts: \(attempts), base_seconds: 1, cap_seconds: 60 }

                flows:
                """),
        ]) { directory in
            try Data(ledger(always: always).utf8).write(to: directory.appendingPathComponent("ledger.py"))
            let mappings = directory.appendingPathComponent("Mappings/foreign-affairs")
            let mapping = try String(contentsOf: mappings.appendingPathComponent("approval.yaml"), encoding: .utf8)
            try Data(mapping.replacingOccurrences(of: "system: approval\n", with: "system: ledger\n")
                .replacingOccurrences(of: "mapping: approval/", with: "mapping: ledger/").utf8).write(to: mappings.appendingPathComponent("ledger.yaml"))
            try DemoTests.seedPortal(directory, count: records, seed: 16)
            try DatabaseQueue(path: directory.appendingPathComponent("data/portal.db").path).write { db in
                try db.execute(sql: """
                    UPDATE applications SET id_card = ?, applicant_name = ?, purpose = ?
                    WHERE app_no = (SELECT app_no FROM applications ORDER BY app_no LIMIT 1 OFFSET 1)
                    """, arguments: [id, Self.name, "商务考察，护照\(passport)，手机 \(mobile)"])
            }
        }
    }

    /// Every form of the applicant's data that must never be seen whole.
    static let plain = [id, passport, mobile, "13912345678", name, "\\u738b\\u4f1f", "1988091415"]

    static func holdsNothingPlain(_ text: String, _ place: String) {
        for value in plain { #expect(!text.contains(value), "\(place) shows \(value): \(text)") }
    }

    @Test func aSinkErrorQuotingARecordIsMaskedEverywhereAndStaysOnThatRecord() throws {
        let fixture = try Self.fixture("personal-exec")
        let numbers = try fixture.applicationNumbers()
        let culprit = numbers[1]
        let start = Date()
        _ = try fixture.extranet.sync(flow: "applications-in", flush: true)
        let first = try fixture.jinhong.receive(now: start)
        #expect(first.applied == numbers.count - 1, "the other applicants' records arrive although the batch failed")
        #expect(first.postponed == 1)
        let last = try fixture.jinhong.receive(now: start.addingTimeInterval(30))
        #expect(last.deadLettered == 1)
        let stored = try String(contentsOf: fixture.directory.appendingPathComponent("data/ledger.txt"), encoding: .utf8)
        #expect(Set(stored.split(separator: "\n").map(String.init)) == Set(numbers.filter { $0 != culprit }))

        // `ferry queue dead` and the console's /dead and /api/dead print these letters.
        let letters = try QueueTools.deadLetters(try QueueTools.Target(config: fixture.config, node: "jinhong-gw"))
        #expect(letters.map(\.subject) == [culprit])
        let reason = try #require(letters.first?.reason)
        #expect(reason.contains("exited with status 1"))
        for shown in [Masking.mask(Self.id), Masking.mask(Self.passport), Masking.mask(Self.mobile)] {
            #expect(reason.contains(shown), "\(shown) is not in \(reason)")
        }
        Self.holdsNothingPlain(reason, "the dead letter")

        // The console's /audit, `ferry audit log`, and what the store itself holds.
        var filter = AuditTools.Filter()
        filter.kinds = ["dead-lettered"]
        let entries = try AuditTools.log(try Deployment.load(fixture.config), filter: filter)
        #expect(entries.count == 1)
        #expect(entries.first?.event.details["reason"]?.text == reason)
        let trace = try AuditTrace.trace(try Deployment.load(fixture.config), key: culprit)
        let deadHop = try #require(trace.hops.first { $0.kind == "dead-lettered" })
        #expect(deadHop.detail.contains(Masking.mask(Self.id)))
        Self.holdsNothingPlain(String(decoding: CanonicalJSON.encode(trace.value), as: UTF8.self), "the trace")
        let raw = try fixture.jinhong.store.database.read { db in
            try (String.fetchAll(db, sql: "SELECT details FROM audit") + String.fetchAll(db, sql: "SELECT reason FROM dead_letters")
                + String.fetchAll(db, sql: "SELECT coalesce(detail, '') FROM inbox")).joined(separator: "\n")
        }
        Self.holdsNothingPlain(raw, "the jinhong store")

        // Only the culprit's record carries the text; the others were applied on their own.
        let details = try fixture.jinhong.store.database.read { db in
            try Row.fetchAll(db, sql: "SELECT record_key, state, detail FROM inbox").map { ($0[0] as String, $0[1] as String, $0[2] as String?) }
        }
        for (key, state, detail) in details where key != culprit {
            #expect(state == "applied", "\(key)")
            #expect(detail?.contains(Masking.mask(Self.id)) != true, "\(key) carries the culprit's error: \(detail ?? "")")
        }

        // Purged, the letter's reason travels back in the receipt; the sender's view of the bundle shows it masked.
        #expect(try QueueTools.settleDeadLetters(.purge, try QueueTools.Target(config: fixture.config, node: "jinhong-gw"), id: nil, actor: "operator-wang") == 1)
        #expect(try fixture.jinhong.receive(now: start.addingTimeInterval(60)).receiptsSent.count == 1)
        #expect(try fixture.extranet.receive().receiptsAccepted == 1)
        let bundle = try #require(letters.first?.bundle)
        let view = try QueueTools.show(try QueueTools.Target(config: fixture.config, node: "extranet-gw"), bundle: bundle)
        #expect(view.unapplied.map(\.key) == [culprit])
        let detail = view.unapplied.compactMap(\.detail).joined()
        #expect(detail.contains(Masking.mask(Self.id)))
        Self.holdsNothingPlain(detail, "the sender's bundle view")
    }

    @Test func aTargetFailingEveryRecordGivesEachOnlyItsOwnTextOrNone() throws {
        let fixture = try Self.fixture("personal-every", always: true, records: 7, attempts: 1)
        _ = try fixture.extranet.sync(flow: "applications-in", flush: true)
        #expect(try fixture.jinhong.receive().deadLettered == 7)
        let cards = try fixture.portal.read { db in
            try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT app_no, id_card FROM applications").map { ($0[0] as String, $0[1] as String) })
        }
        let letters = try QueueTools.deadLetters(try QueueTools.Target(config: fixture.config, node: "jinhong-gw"))
        #expect(letters.count == 7)
        for letter in letters {
            for (number, card) in cards {
                #expect(!letter.reason.contains(card), "\(letter.subject) shows an ID number whole")
                if number != letter.subject {
                    #expect(!letter.reason.contains(Masking.mask(card)), "\(letter.subject) carries \(number)'s error: \(letter.reason)")
                }
            }
        }
        let alone = letters.filter { $0.reason.contains("cannot store row") }
        let rest = letters.filter { $0.reason.contains("was not sent alone") }
        #expect(alone.count == 4 && rest.count == 3, "four records tried alone, the rest sent together once more")
        for letter in alone { #expect(letter.reason.contains(Masking.mask(cards[letter.subject] ?? "?"))) }
    }

    /// A web service that refuses a batch with a 400 whose body quotes one applicant's ID
    /// number (grouped, after Chinese text JSON-escaped) and mobile number.
    @Test func aBatchAWebServiceRefusedIsSentAgainRecordByRecordAndItsAnswerIsMasked() throws {
        let system = try RESTSystem()
        let collection = "personal-\(UUID().uuidString.prefix(8))"
        let refusal: Value = .object(["error": .string("证件号码 350503 19880914 1506 与手机 +86 139-1234-5678 不匹配 (\(Self.passport))")])
        try system.fault("/c/\(collection)", status: 400, times: 2, body: refusal)
        let node = try ConfigNode.parse("{ url: \"\(system.url("/c/\(collection)"))\", write: batch, retries: 0 }", file: "ferry.yaml")
        let sink = HTTPAdapter(options: try HTTPAdapter.options(node, system: "vendor", environment: [:], baseDirectory: URL(fileURLWithPath: "/")),
            layout: SinkLayout(keyColumns: ["id"], versionColumn: "updated"))
        let rows = ["WB2026000001", "WB2026000002"].map { id in
            SinkRow(key: ["id": .string(id)], values: ["id": .string(id), "name": "申请人", "updated": "2026-11-24T09:00:00+08:00"])
        }
        let outcomes = try sink.apply(rows)
        #expect(outcomes.count == 2)
        guard case .rejected(let reason)? = outcomes.first else { Issue.record("the refused record: \(outcomes)"); return }
        #expect(reason.hasPrefix("400: "))
        #expect(reason.contains(Masking.mask("350503 19880914 1506")) && reason.contains(Masking.mask(Self.passport)), "\(reason)")
        Self.holdsNothingPlain(reason, "the rejection")
        #expect(!reason.contains("139-1234-5678") && !reason.contains("19880914"))
        #expect(outcomes.last == .applied, "the other record is not refused with the first one's answer")
        let posts = try system.log().filter { $0["method"]?.text == "POST" && $0["path"]?.text == "/c/\(collection)" }
        #expect(posts.count == 3, "the batch, then each record alone")
    }

    @Test func reasonsStoredBeforeMaskingAreMaskedWhenShown() throws {
        let fixture = try Self.fixture("personal-old")
        let old = "approval: CHECK failed for SFZH \(Self.id), passport \(Self.passport), tel +86 \(Self.mobile)"
        try fixture.jinhong.store.write { tx in
            try tx.deadLetters.add(stage: "apply", flow: "applications-in", bundle: "b", inboxID: nil, subject: "WB2026000001", reason: old,
                position: nil, attempts: 3)
            try fixture.jinhong.audit.append(tx, AuditEvent(.deadLettered, flow: "applications-in", subject: "WB2026000001",
                details: ["stage": "apply", "reason": .string(old)]))

        }
        let letter = try #require(try QueueTools.deadLetters(try QueueTools.Target(config: fixture.config, node: "jinhong-gw")).first)
        #expect(letter.reason == "approval: CHECK failed for SFZH \(Masking.mask(Self.id)), passport \(Masking.mask(Self.passport)), "
            + "tel \(Masking.mask("+86 \(Self.mobile)"))")
        var filter = AuditTools.Filter()
        filter.kinds = ["dead-lettered"]
        let shown = try AuditTools.log(try Deployment.load(fixture.config), filter: filter)
        #expect(shown.first?.event.details["reason"]?.text == letter.reason)
        #expect(try fixture.jinhong.verifyAudit().entries > 0, "masking on display leaves the stored chain intact")
        let stats = try AuditTools.stats(try Deployment.load(fixture.config), node: "jinhong-gw", since: nil, until: nil)
        for row in stats.byReason { Self.holdsNothingPlain(row.reason, "audit stats") }
    }
}
