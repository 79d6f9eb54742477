import Foundation
import Testing
import FerryTestSupport
import Logging
import FerryCore
import FerrySeal
@testable import FerryAdapters
@testable import FerryNode
@testable import FerryOps

/// REST systems as they really answer, against the real test server on 127.0.0.1: errors
/// inside HTTP 200, collections that change while they are paged, and "" next to null.
@Suite struct RealWorldRESTTests {
    static let people: [[String: Value]] = (1...7).map { number in
        ["id": .string("P\(number)"), "name": .string("申请人\(number)"), "updated": .string("2026-11-24 09:0\(number):00")]
    }
    static let expired: Value = .object(["code": 401, "msg": "令牌已过期", "data": []])

    func adapter(_ yaml: String, environment: [String: String] = [:]) throws -> HTTPAdapter {
        let node = try ConfigNode.parse(yaml, file: "ferry.yaml")
        let options = try HTTPAdapter.options(node, system: "vendor", environment: environment, baseDirectory: URL(fileURLWithPath: "/"))
        return HTTPAdapter(options: options, layout: SinkLayout(keyColumns: ["id"], versionColumn: "updated"))
    }

    func readAll(_ adapter: HTTPAdapter, since: String? = nil, batchSize: Int = 3) throws -> (rows: [[String: Value]], checkpoint: String?) {
        var reader = try adapter.read(since: since, batchSize: batchSize)
        var rows: [[String: Value]] = []
        var checkpoint = since
        while let batch = try reader.next() {
            rows += batch.rows
            checkpoint = batch.checkpoint
        }
        return (rows, checkpoint)
    }

    func failure(_ body: () throws -> Void) -> FerryError? {
        do { try body() } catch let error as FerryError { return error } catch { Issue.record("not a FerryError: \(error)") }
        return nil
    }

    // MARK: errors inside HTTP 200

    @Test func anExpiredTokenInsideA200FailsTheReadWithTheSystemsMessageAndTheCursorStays() throws {
        let system = try RESTSystem()
        try system.seed("people", Self.people)
        let source = try adapter("{ url: \"\(system.url("/envelope/people"))\", items: data, success: \"code == 0\", message: msg, cursor: updated, since_param: updated_since }")
        let first = try readAll(source)
        #expect(first.rows.count == 7)

        try system.seed("people", [["id": "P8", "name": "新人", "updated": "2026-11-24 10:00:00"]])
        try system.fault("/envelope/", body: Self.expired)
        let error = failure { _ = try readAll(source, since: first.checkpoint) }
        #expect(error?.adapterFailure == .configuration, "an expired token must reach an operator, not be retried quietly: \(String(describing: error))")
        #expect(error?.message.contains("令牌已过期") == true && error?.message.contains("code 401") == true, "\(String(describing: error))")
        #expect(error?.hint?.contains("checkpoint stays") == true)
        // The failed read handed over no batch, so its checkpoint never moved: the next read still gets P8.
        #expect(try readAll(source, since: first.checkpoint).rows.compactMap { $0["id"]?.text } == ["P8"])

        // Any other failure code is retried by the queue, with the system's words.
        try system.fault("/envelope/", body: .object(["code": 50001, "msg": "系统繁忙，请稍后再试", "data": .null]))
        let busy = failure { _ = try readAll(source, since: first.checkpoint) }
        #expect(busy?.adapterFailure == .retryable)
        #expect(busy?.message.contains("系统繁忙") == true)

        // Refused credentials under other codes: a text about the token, or a code listed in auth_codes.
        try system.fault("/envelope/", body: .object(["code": 42001, "msg": "access_token expired"]))
        #expect(failure { _ = try readAll(source, since: first.checkpoint) }?.adapterFailure == .configuration)
        let listed = try adapter("{ url: \"\(system.url("/envelope/people"))\", items: data, success: \"code == 0\", auth_codes: [10086] }")
        try system.fault("/envelope/", body: .object(["code": 10086, "msg": "请重新获取"]))
        #expect(failure { _ = try readAll(listed) }?.adapterFailure == .configuration)
    }

    @Test func withoutADeclaredPredicateAnErrorEnvelopeWithNoRecordsIsNotReadAsNoChanges() throws {
        let system = try RESTSystem()
        try system.seed("people", Self.people)
        let source = try adapter("{ url: \"\(system.url("/envelope/people"))\", items: data }")
        for envelope: Value in [Self.expired, .object(["errcode": 42001, "errmsg": "access_token expired"]), .object(["code": "401", "message": "Unauthorized"]),
            .object(["success": false, "message": "invalid signature", "data": []]), .object(["code": 401, "msg": "令牌已过期"])]
        {
            try system.fault("/envelope/", body: envelope)
            let error = failure { _ = try readAll(source) }
            #expect(error != nil, "\(envelope) was read as an empty page")
            #expect(error?.hint?.contains("success:") == true, "the hint must say how to declare success: \(String(describing: error))")
        }
        // Envelopes that say success stay empty pages; records are read whatever the envelope says.
        let withRecords = Value.object(["code": 7, "msg": "x", "data": [.object(["id": "Q1"])]])
        for envelope: Value in [.object(["code": 0, "msg": "ok", "data": []]), .object(["code": 200, "msg": "success", "data": []]),
            .object(["code": 1, "msg": "查询成功", "data": []]), withRecords]
        {
            try system.fault("/envelope/", body: envelope)
            #expect(try readAll(source).rows.count == (envelope == withRecords ? 1 : 0), "\(envelope)")
        }
    }

    @Test func predicatesReadNestedPathsListsAndText() throws {
        let system = try RESTSystem()
        try system.seed("people", Self.people)
        let url = system.url("/envelope/people")
        let cases: [(String, Value, Bool)] = [
            ("result.code == 0", .object(["result": .object(["code": 0]), "data": []]), true),
            ("result.code == 0", .object(["result": .object(["code": "0"]), "data": []]), true),
            ("result.code == 0", .object(["result": .object(["code": 3]), "msg": "bad", "data": []]), false),
            ("code in [0, 200]", .object(["code": 200, "data": []]), true),
            ("code in [0, 200]", .object(["code": 500, "data": []]), false),
            ("status == 'ok' and code != 1", .object(["status": "ok", "code": 0, "data": []]), true),
            ("status == \\\"ok\\\"", .object(["status": "error", "data": [.object(["id": "Q1"])]]), false),
            ("code in [0, null]", .object(["data": []]), true),
        ]
        for (predicate, body, passes) in cases {
            try system.fault("/envelope/", body: body)
            let source = try adapter("{ url: \"\(url)\", items: data, success: \"\(predicate)\" }")
            let error = failure { _ = try readAll(source) }
            #expect((error == nil) == passes, "\(predicate) on \(body): \(String(describing: error))")
        }
    }

    @Test func aPredicateThatDoesNotParseIsRefusedWhereItIsWritten() throws {
        let yaml = """
            url: https://vendor.example/api
            success: "code = 0"
            """
        let error = failure { _ = try adapter(yaml) }
        #expect(error?.location == .file(SourceLocation(file: "ferry.yaml", line: 2, column: 16)), "at the lone =: \(String(describing: error))")
        #expect(error?.message.contains("expected ==, != or in") == true)
        for bad in ["code ==", "== 0", "code in 0", "code in [0,", "code == \\\"ok", "code == ok", "code == 0 or code == 1", "code == 1e3"] {
            #expect(failure { _ = try adapter("{ url: \"https://vendor.example/api\", success: \"\(bad)\" }") }?.location != nil, "\(bad)")
        }
    }

    @Test func writesAnsweredWithAnErrorInsideA200AreNotSettledAndTheTokenIsNeverEchoed() throws {
        let token = "tk-\(UUID().uuidString)"
        let system = try RESTSystem(arguments: ["--token", token])
        let sink = try adapter("{ url: \"\(system.url("/c/people"))\", record_url: \"/c/people/{id}\", bearer_env: T, retries: 0 }", environment: ["T": token])
        let row = SinkRow(key: ["id": "W1"], values: ["id": "W1", "name": "甲", "updated": "2026-11-24 09:00:00"])
        try system.fault("/c/", body: .object(["code": 401, "msg": .string("token \(token) 已过期")]))
        let refused = failure { _ = try sink.apply([row]) }
        #expect(refused?.adapterFailure == .configuration)
        #expect(refused.map { !$0.description.contains(token) } == true, "the token reached the error: \(String(describing: refused))")
        #expect(refused?.message.contains("已过期") == true)

        try system.fault("/c/", body: .object(["errcode": 500, "errmsg": "写入失败"]))
        #expect(failure { _ = try sink.apply([row]) }?.adapterFailure == .retryable)
        #expect(try system.records("people").isEmpty)
        #expect(try sink.apply([row]) == [.applied], "a plain success answer is still applied")

        let batch = try adapter("{ url: \"\(system.url("/c/people"))\", write: batch, bearer_env: T, success: \"code == 0\", retries: 0 }", environment: ["T": token])
        try system.fault("/c/", body: .object(["code": 403, "msg": "无权限"]))
        #expect(failure { _ = try batch.apply([row]) }?.adapterFailure == .configuration)
    }

    // MARK: paging while the collection changes

    /// Reads one page, edits `edited` at the system, then reads the rest.
    func readEditingBetweenPages(_ source: HTTPAdapter, system: RESTSystem, edited: String) throws -> (rows: [[String: Value]], checkpoint: String?) {
        var reader = try source.read(since: nil, batchSize: 3)
        var rows = try reader.next()?.rows ?? []
        try system.seed("people", [["id": .string(edited), "name": "改名", "updated": "2026-11-24 10:00:00"]])
        var checkpoint: String?
        while let batch = try reader.next() {
            rows += batch.rows
            checkpoint = batch.checkpoint
        }
        return (rows, checkpoint)
    }

    @Test func aRecordEditedBetweenPagesSkipsNothingUnderKeysetPaging() throws {
        let system = try RESTSystem()
        try system.seed("people", Self.people)
        let keyset = try adapter("""
            { url: "\(system.url("/keyset/people"))", paging: keyset, keyset: [updated, id], after_param: [after_updated, after_id], page_size: 3, cursor: updated }
            """)
        #expect(keyset.readWarnings.isEmpty)
        let read = try readEditingBetweenPages(keyset, system: system, edited: "P2")
        #expect(read.rows.compactMap { $0["id"]?.text } == ["P1", "P2", "P3", "P4", "P5", "P6", "P7", "P2"])
        #expect(read.rows.last?["name"] == "改名", "the edit itself arrives")

        // The next read resumes after the last record: nothing again, then only what changed.
        #expect(try readAll(keyset, since: read.checkpoint).rows.isEmpty)
        try system.seed("people", [["id": "P5", "name": "再改", "updated": "2026-11-24 10:05:00"]])
        #expect(try readAll(keyset, since: read.checkpoint).rows.compactMap { $0["name"]?.text } == ["再改"])
    }

    @Test func offsetPagingWithAnIncrementalCursorSkipsARecordAndIsWarnedAbout() throws {
        let system = try RESTSystem()
        try system.seed("people", Self.people)
        let offset = try adapter("""
            { url: "\(system.url("/offset/people"))", paging: offset, items: data.rows, page_size: 3, cursor: updated, since_param: updated_since }
            """)
        let read = try readEditingBetweenPages(offset, system: system, edited: "P2")
        // The kind of loss the warning is about: P4 slid onto page 1 and is never read, not even later.
        #expect(!read.rows.contains { $0["id"] == "P4" })
        #expect(try readAll(offset, since: read.checkpoint).rows.isEmpty)
        let warning = offset.readWarnings.first ?? ""
        #expect(warning.contains("skip a record") && warning.contains("paging: keyset with keyset: [updated, id]"), "\(warning)")
        // A page number is an offset too; a keyset that does not lead with the cursor has the same hole.
        #expect(!(try adapter("{ url: \"\(system.url("/page/people"))\", paging: page, cursor: updated, since_param: updated_since }").readWarnings.isEmpty))
        #expect(!(try adapter("{ url: \"\(system.url("/keyset/people"))\", paging: keyset, keyset: id, cursor: updated, since_param: updated_since }").readWarnings.isEmpty))
        #expect(try adapter("{ url: \"\(system.url("/offset/people"))\", paging: offset }").readWarnings.isEmpty, "a full read each time skips nothing for good")
    }

    @Test func sincePagingReadsTiedStampsOnceAndStopsWhereItCannotGetPast() throws {
        let system = try RESTSystem()
        let stamps = ["A": "09:01", "B": "09:02", "C": "09:02", "D": "09:03", "E": "09:04"]
        try system.seed("people", stamps.map { ["id": .string($0.key), "updated": .string("2026-11-24 \($0.value):00")] })
        let since = try adapter("{ url: \"\(system.url("/since/people"))\", paging: since, page_size: 3, cursor: updated, since_param: updated_since }")
        let read = try readAll(since)
        #expect(read.rows.compactMap { $0["id"]?.text } == ["A", "B", "C", "D", "E"])
        #expect(try readAll(since, since: read.checkpoint).rows.compactMap { $0["id"]?.text } == ["E"], "an at-or-after filter sends the boundary again; the node drops it by digest")

        try system.seed("people", ["X", "Y", "Z"].map { ["id": .string($0), "updated": "2026-11-24 11:00:00"] })
        let stuck = failure { _ = try readAll(since, since: read.checkpoint) }
        #expect(stuck?.adapterFailure == .configuration && stuck?.hint?.contains("keyset: [updated, id]") == true, "\(String(describing: stuck))")
    }

    @Test func keysetPagingRefusesAnAnswerOutOfOrderAndOptionsThatCannotWork() throws {
        let system = try RESTSystem()
        try system.seed("people", [["id": "Z1", "updated": "2026-11-24 09:00:00"], ["id": "A1", "updated": "2026-11-24 09:01:00"]])
        // The API sorts by updated, not by id: paging on after Z1 would skip A1 for good.
        let wrong = try adapter("{ url: \"\(system.url("/keyset/people"))\", paging: keyset, keyset: id }")
        #expect(failure { _ = try readAll(wrong, batchSize: 5) }?.message.contains("sorts before") == true)

        // Each is refused at the value that cannot work (the last occurrence of the marked text).
        for (yaml, marked) in [("{ url: \"https://v.example/x\", paging: keyset }", "keyset"), ("{ url: \"https://v.example/x\", keyset: id }", "id"),
            ("{ url: \"https://v.example/x\", paging: keyset, keyset: [a, b], after_param: after }", "after"),
            ("{ url: \"https://v.example/x\", paging: since, cursor: updated }", "since"),
            ("{ url: \"https://v.example/x\", paging: keyset, keyset: [updated, id], cursor: updated, since_param: updated_since }", "updated_since")]
        {
            let error = failure { _ = try adapter(yaml) }
            let column = yaml.range(of: marked, options: .backwards).map { yaml.distance(from: yaml.startIndex, to: $0.lowerBound) + 1 } ?? 0
            #expect(error?.location == .file(SourceLocation(file: "ferry.yaml", line: 1, column: column)), "\(yaml): \(String(describing: error))")
        }
    }

    // MARK: through a deployment

    /// A one-node deployment copying entity Note from REST collection `C-src` to `C-dst`,
    /// the source read through the server's `style` path with `sourceOptions` (where `URL` stands for its URL).
    func deployment(_ system: RESTSystem, style: String, sourceOptions: String) throws -> (config: String, source: String, target: String) {
        let directory = DemoTests.temporary("rest-deployment")
        for folder in ["entities", "codes", "mappings", "keys"] {
            try FileManager.default.createDirectory(at: directory.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        let collection = directory.lastPathComponent
        try Data("""
            entity: Note
            key: [id]
            version: updated
            fields:
              id:      { type: string, required: true }
              remark:  { type: string }
              note:    { type: string }
              updated: { type: timestamp }
            """.utf8).write(to: directory.appendingPathComponent("entities/note.yaml"))
        for name in ["src", "dst"] {
            try Data("""
                system: \(name)
                entity: Note
                unmapped_fields: drop
                fields:
                  id:      { column: id }
                  remark:  { column: remark }
                  note:    { column: note }
                  updated: { column: updated, format: "yyyy-MM-dd HH:mm:ss" }
                """.utf8).write(to: directory.appendingPathComponent("mappings/\(name).yaml"))
        }
        _ = try NodeKey.generate(node: "n").write(to: directory.appendingPathComponent("keys"), name: "n")
        let source = sourceOptions.replacingOccurrences(of: "URL", with: system.url("/\(style)/\(collection)-src"))
        let config = directory.appendingPathComponent("ferry.yaml").path
        try Data("""
            title: REST to REST
            codes: codes
            zones:
              z: { title: one zone }
            nodes:
              n: { zone: z, store: sqlite:state/n.db, key: keys/n.key }
            trust:
              n: keys/n.pub
            entities:
              Note: entities/note.yaml
            systems:
              src:
                zone: z
                level: municipal
                adapter: http
                options: \(source)
                maps:
                  Note: { file: mappings/src.yaml }
              dst:
                zone: z
                level: municipal
                adapter: http
                options: { url: "\(system.url("/c/\(collection)-dst"))", record_url: "/c/\(collection)-dst/{id}" }
                maps:
                  Note: { file: mappings/dst.yaml }
            flows:
              - { name: copy, entity: Note, from: src, to: [dst] }
            """.utf8).write(to: URL(fileURLWithPath: config))
        return (config, "\(collection)-src", "\(collection)-dst")
    }

    @Test func checkAndAdaptersCheckWarnOfOffsetPagingWithAnIncrementalCursor() throws {
        let system = try RESTSystem()
        let offset = try deployment(system, style: "offset", sourceOptions: """
            { url: "URL", paging: offset, items: data.rows, cursor: updated, since_param: updated_since }
            """)
        try system.seed(offset.source, [["id": "N1", "remark": "x", "updated": "2026-11-24 09:00:00"]])
        let notes = try Deployment.load(offset.config).check().notes
        #expect(notes.contains { $0.hasPrefix("system src, Note: warning: paging: offset") && $0.contains("keyset") }, "\(notes)")
        let probe = try AdapterTools.check(try Deployment.load(offset.config), node: "n", system: "src")
        #expect(probe.first?.warnings.contains { $0.contains("can skip a record for good") } == true, "\(probe)")

        let keyset = try deployment(system, style: "keyset", sourceOptions: """
            { url: "URL", paging: keyset, keyset: [updated, id], after_param: [after_updated, after_id], cursor: updated }
            """)
        #expect(!(try Deployment.load(keyset.config).check().notes.contains { $0.contains("warning") }))
    }

    @Test func anEmptyStringStaysEmptyAndNullStaysNullFromSourceToTarget() throws {
        let system = try RESTSystem()
        let setup = try deployment(system, style: "keyset", sourceOptions: """
            { url: "URL", paging: keyset, keyset: [updated, id], after_param: [after_updated, after_id], page_size: 2, cursor: updated, success: "code in [0, null]" }
            """)
        try system.seed(setup.source, [
            ["id": "E1", "remark": "", "note": .null, "updated": "2026-11-24 09:00:00"],
            ["id": "E2", "remark": "备注", "note": "说明", "updated": "2026-11-24 09:01:00"],
            ["id": "E3", "remark": .null, "note": "", "updated": "2026-11-24 09:02:00"],
        ])
        let node = try Node(deployment: Deployment.load(setup.config), name: "n", logger: Logger(label: "test"))
        let first = try node.sync(flow: "copy")
        #expect(first.pulled == 3 && first.quarantined == 0, "\(first)")
        func held() throws -> [String: [String: Value]] {
            Dictionary(try system.records(setup.target).map { ($0["id"]?.text ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        }
        var target = try held()
        #expect(target["E1"]?["remark"] == .some(.string("")), "\"\" arrived as \(String(describing: target["E1"]?["remark"]))")
        #expect(target["E1"]?["note"] == .some(.null), "null must be sent as null, not left out: \(String(describing: target["E1"]))")
        #expect(target["E3"]?["remark"] == .some(.null) && target["E3"]?["note"] == .some(.string("")), "\(String(describing: target["E3"]))")

        // Clearing a field at the source clears it at the target: "" and null both travel.
        try system.seed(setup.source, [["id": "E2", "remark": "", "note": .null, "updated": "2026-11-24 10:00:00"]])
        let second = try node.sync(flow: "copy")
        #expect(second.pulled == 1, "\(second)")
        target = try held()
        #expect(target["E2"]?["remark"] == .some(.string("")) && target["E2"]?["note"] == .some(.null), "\(String(describing: target["E2"]))")

        // An expired token inside a 200 stops the sync and the next sync still gets the change.
        try system.seed(setup.source, [["id": "E1", "remark": "补", "note": .null, "updated": "2026-11-24 11:00:00"]])
        try system.fault("/keyset/", body: Self.expired)
        #expect(throws: FerryError.self) { try node.sync(flow: "copy") }
        #expect(try node.sync(flow: "copy").pulled == 1)
        #expect(try held()["E1"]?["remark"] == .some(.string("补")))
    }
}
