import Foundation
import Testing
import FerryCore
@testable import FerryAdapters

/// The Airbyte protocol as values: messages decoded, states folded into a checkpoint, the
/// catalog configured, a read's lines cut into batches. No connector runs here.
@Suite struct AirbyteProtocolTests {
    func lines(_ text: String) -> [[UInt8]] { text.split(separator: "\n").map { Array($0.utf8) } }

    /// Feeds lines to a read and collects its batches (and what it would log).
    func batches(_ text: String, checkpoint: String? = nil, batchSize: Int = 100) throws -> (batches: [SourceBatch], logs: [String]) {
        var read = try AirbyteRead(stream: AirbyteStreamName(name: "users"), batchSize: batchSize, connector: "source-test", checkpoint: checkpoint)
        var found: [SourceBatch] = []
        var logs: [String] = []
        for line in lines(text) {
            switch try read.take(line) {
            case .batch(let batch): found.append(batch)
            case .log(let level, let message): logs.append("\(level) \(message)")
            case .failed(let error): throw FerryError.adapter(error.failure, "source-test: \(error.text)")
            case .none: break
            }
        }
        if let last = read.finish() { found.append(last) }
        return (found, logs)
    }

    static let twoUsers = """
        {"type":"LOG","log":{"level":"INFO","message":"Starting syncing"}}
        Some banner a connector printed on standard output
        {"type":"RECORD","record":{"stream":"users","data":{"id":1,"price":19.990,"big":123456789012345678901234,"ok":true},"emitted_at":1796057129629}}
        {"type":"RECORD","record":{"stream":"products","data":{"id":7},"emitted_at":1}}
        {"type":"RECORD","record":{"stream":"users","data":{"id":2,"price":1e3,"ok":false},"emitted_at":1796057129629}}
        {"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"users"},"stream_state":{"updated_at":"2026-11-30T16:45:29+00:00","seed":1}},"sourceStats":{"recordCount":2.0}}}
        {"type":"TRACE","trace":{"type":"ESTIMATE","emitted_at":1.5,"estimate":{"name":"users","type":"STREAM","row_estimate":2}}}
        """

    @Test func recordsArriveWithExactNumbersAndTheStateClosesTheBatch() throws {
        let (found, logs) = try batches(Self.twoUsers)
        #expect(found.count == 1)
        let batch = try #require(found.first)
        #expect(batch.rows.map { $0["id"] } == [.int(1), .int(2)], "only the stream asked for")
        #expect(batch.rows[0]["price"] == .decimal("19.990") && batch.rows[0]["big"] == .decimal("123456789012345678901234"))
        #expect(batch.rows[1]["price"] == .decimal("1e3") && batch.rows[1]["ok"] == .bool(false))
        #expect(batch.positions == ["source-test stream users record 1", "source-test stream users record 2"])
        #expect(batch.checkpoint == #"[{"stream":{"stream_descriptor":{"name":"users"},"stream_state":{"seed":1,"updated_at":"2026-11-30T16:45:29+00:00"}},"type":"STREAM"}]"#,
            "the checkpoint is the state file, without the run's sourceStats")
        #expect(logs.contains("info Starting syncing"))
        #expect(logs.contains { $0.hasPrefix("debug not a protocol message: Some banner") }, "a non-JSON line is logged, not fatal")
    }

    @Test func recordsAfterTheLastStateComeInABatchThatKeepsTheLastState() throws {
        let text = Self.twoUsers + "\n" + #"{"type":"RECORD","record":{"stream":"users","data":{"id":3},"emitted_at":1}}"#
        let (found, _) = try batches(text)
        #expect(found.count == 2 && found[1].rows.map { $0["id"] } == [.int(3)])
        #expect(found[1].checkpoint == found[0].checkpoint, "a record not yet covered by a state is read again next time")
    }

    @Test func aLongRunWithoutStatesIsCutIntoBatchesThatDoNotAdvanceTheCheckpoint() throws {
        let records = (1...5).map { #"{"type":"RECORD","record":{"stream":"users","data":{"id":\#($0)},"emitted_at":1}}"# }
        let state = #"{"type":"STATE","state":{"data":{"cursor":5}}}"#
        let (found, _) = try batches((records + [state]).joined(separator: "\n"), batchSize: 2)
        #expect(found.map(\.rows.count) == [2, 2, 1])
        #expect(found.map(\.checkpoint) == ["", "", #"{"cursor":5}"#], "legacy state: the checkpoint is state.data")
    }

    @Test func aStateWithNothingNewIsHandedOutOnceAtTheEnd() throws {
        let state = #"{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"users"},"stream_state":{"n":1000}}}}"#
        let (first, _) = try batches(state + "\n" + state)
        #expect(first.count == 1 && first[0].rows.isEmpty, "an empty batch carries the new state so it is committed")
        let (again, _) = try batches(state, checkpoint: first[0].checkpoint)
        #expect(again.isEmpty, "the same state as before: nothing to commit, nothing pulled")
    }

    @Test func perStreamStatesAreKeptPerStreamAndGlobalReplacesThem() throws {
        var state = try AirbyteState(checkpoint: nil)
        #expect(state.checkpoint == nil)
        func stream(_ descriptor: [String: Value], _ n: Int64) -> [String: Value] {
            ["type": "STREAM", "stream": .object(["stream_descriptor": .object(descriptor), "stream_state": .object(["n": .int(n)])])]
        }
        try state.apply(stream(["name": "a"], 1))
        try state.apply(stream(["name": "b", "namespace": "s"], 2))
        try state.apply(stream(["name": "a"], 3))
        let reread = try AirbyteState(checkpoint: state.checkpoint)
        #expect(reread == state, "the checkpoint reads back as the same state")
        guard case .streams(let entries) = state.form else { Issue.record("not per-stream: \(state.form)"); return }
        #expect(entries.count == 2 && entries[0].objectValue?["stream"]?.objectValue?["stream_state"] == .object(["n": 3]))
        try state.apply(["type": "GLOBAL", "global": .object(["shared_state": .object(["lsn": 42]), "stream_states": []])])
        #expect(state.checkpoint == #"[{"global":{"shared_state":{"lsn":42},"stream_states":[]},"type":"GLOBAL"}]"#)
        #expect(try AirbyteState(checkpoint: state.checkpoint) == state)
        #expect(throws: FerryError.self) { try state.apply(["type": "STREAM", "stream": .object([:])]) }
        #expect(throws: FerryError.self) { try state.apply(["type": "SOMETHING"]) }
        #expect(throws: FerryError.self, "a checkpoint another adapter wrote") { try AirbyteState(checkpoint: "people rowid 17") }
    }

    @Test func aTraceErrorIsTheErrorWithTheConnectorsOwnText() throws {
        let trace = #"{"type":"TRACE","trace":{"type":"ERROR","emitted_at":1,"error":{"message":"Config validation error: 'abc' is not of type 'integer'","internal_message":"'abc' is not of type 'integer'","stack_trace":"Traceback…","failure_type":"config_error"}}}"#
        var read = try AirbyteRead(stream: AirbyteStreamName(name: "users"), batchSize: 10, connector: "source-test", checkpoint: nil)
        guard case .failed(let error) = try read.take(Array(trace.utf8)) else {
            Issue.record("a TRACE error was not the end of the read")
            return
        }
        #expect(error.text == "Config validation error: 'abc' is not of type 'integer'", "internal_message adds nothing here")
        #expect(error.failure == .configuration && error.stackTrace == "Traceback…")
        let both = AirbyteError(message: "Sync failed", internalMessage: "HTTP 503 from api.example", failureType: "transient_error")
        #expect(both.text == "Sync failed (HTTP 503 from api.example)" && both.failure == .retryable)
        #expect(AirbyteError(message: "", internalMessage: "KeyError: 'id'", failureType: nil).text == "KeyError: 'id'")
        #expect(AirbyteError(message: "", internalMessage: nil, failureType: "system_error").failure == .permanent)
    }

    @Test func anIncompleteStreamStopsTheRead() throws {
        let status = #"{"type":"TRACE","trace":{"type":"STREAM_STATUS","emitted_at":1,"stream_status":{"stream_descriptor":{"name":"users"},"status":"INCOMPLETE"}}}"#
        #expect(throws: FerryError.self) { _ = try batches(status) }
        #expect(try batches(status.replacingOccurrences(of: "INCOMPLETE", with: "COMPLETE")).batches.isEmpty)
    }

    @Test func aRecordWhoseDataIsNotAnObjectIsQuarantinedNotFatal() throws {
        let text = #"{"type":"RECORD","record":{"stream":"users","data":[1,2],"emitted_at":1}}"# + "\n"
            + #"{"type":"RECORD","record":{"stream":"users","data":{"id":9},"emitted_at":1}}"#
        let batch = try #require(try batches(text).batches.first)
        #expect(batch.rows.map { $0["id"] } == [.int(9)])
        #expect(batch.malformed.map(\.position) == ["source-test stream users record 1"])
        #expect(batch.malformed.first?.reason.contains("not a JSON object") == true)
    }

    @Test func otherMessagesAreDecoded() {
        #expect(AirbyteMessage(line: Array(#"{"type":"CONNECTION_STATUS","connectionStatus":{"status":"FAILED","message":"bad key"}}"#.utf8))
            == .connectionStatus(succeeded: false, message: "bad key"))
        #expect(AirbyteMessage(line: Array(#"{"type":"LOG","log":{"level":"FATAL","message":"boom"}}"#.utf8)) == .log(.critical, "boom"))
        #expect(AirbyteMessage(line: Array(#"{"type":"CONTROL","control":{}}"#.utf8)) == .other("CONTROL"))
        #expect(AirbyteMessage(line: Array("{not json".utf8)) == .notProtocol)
        #expect(AirbyteMessage(line: []) == .notProtocol)
    }

    static let usersStream: [String: Value] = [
        "name": "users", "json_schema": .object(["properties": .object(["id": .object(["type": "integer"]), "name": .object(["type": "string"])])]),
        "supported_sync_modes": ["full_refresh", "incremental"], "source_defined_cursor": true, "default_cursor_field": ["updated_at"],
        "source_defined_primary_key": [["id"]],
    ]

    @Test func theCatalogReadsIncrementallyWhereTheStreamCan() throws {
        let (catalog, mode) = try AirbyteCatalog.configure(Self.usersStream, mode: nil, cursorField: nil)
        #expect(mode == .incremental)
        let configured = try #require(catalog.objectValue?["streams"].flatMap { if case .list(let l) = $0 { l.first?.objectValue } else { nil } })
        #expect(configured["sync_mode"] == "incremental" && configured["cursor_field"] == ["updated_at"] && configured["primary_key"] == [["id"]])
        #expect(AirbyteCatalog.fields(of: Self.usersStream) == ["id", "name"])

        var plain = Self.usersStream
        plain["supported_sync_modes"] = ["full_refresh"]
        #expect(try AirbyteCatalog.configure(plain, mode: nil, cursorField: nil).mode == .fullRefresh)
        #expect(throws: FerryError.self, "incremental asked of a stream that cannot") { try AirbyteCatalog.configure(plain, mode: .incremental, cursorField: nil) }
        var userCursor = Self.usersStream
        userCursor["source_defined_cursor"] = false
        userCursor["default_cursor_field"] = []
        #expect(try AirbyteCatalog.configure(userCursor, mode: nil, cursorField: nil).mode == .fullRefresh, "no cursor to follow")
        #expect(try AirbyteCatalog.configure(userCursor, mode: nil, cursorField: ["id"]).mode == .incremental)
    }

    @Test func theStreamIsFoundByNameOrMustBeNamed() throws {
        let products: [String: Value] = ["name": "products", "namespace": "shop"]
        #expect(try AirbyteCatalog.stream(nil, in: [Self.usersStream], connector: "c")["name"] == "users")
        #expect(try AirbyteCatalog.stream(AirbyteStreamName(name: "products"), in: [Self.usersStream, products], connector: "c")["name"] == "products")
        do {
            _ = try AirbyteCatalog.stream(nil, in: [Self.usersStream, products], connector: "c")
            Issue.record("two streams and none named")
        } catch let error as FerryError {
            #expect(error.adapterFailure == .configuration && error.hint?.contains("users, shop.products") == true)
        }
        #expect(throws: FerryError.self) { try AirbyteCatalog.stream(AirbyteStreamName(name: "nope"), in: [Self.usersStream], connector: "c") }
    }
}
