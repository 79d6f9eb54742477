import Foundation
import Testing
import FerryCore
@testable import FerryAdapters

/// The airbyte adapter running real connectors: `source-faker` from PyPI, unmodified
/// (installed by Ops/test-airbyte.sh, which `make test` runs), and small shell scripts
/// that misbehave the ways real connectors do.
@Suite struct RealWorldAirbyteTests {
    static let fakerPath = ProcessInfo.processInfo.environment["FERRY_TEST_AIRBYTE_FAKER"].flatMap { $0.isEmpty ? nil : $0 }
    static let skipReason: Comment = "FERRY_TEST_AIRBYTE_FAKER is not set: run Ops/test-airbyte.sh (make test does) to install source-faker"

    func faker(_ config: Value, secrets: [AirbyteAdapter.Secret] = []) throws -> AirbyteAdapter {
        var options = AirbyteAdapter.Options(command: [try #require(Self.fakerPath)])
        options.config = config
        options.secrets = secrets
        options.stream = "users"
        options.timeoutSeconds = 120
        return AirbyteAdapter(options: options)
    }

    @Test(.enabled(if: fakerPath != nil, skipReason))
    func sourceFakerReadsItsUsersOnceAndResumesFromItsState() throws {
        let source = try faker(.object(["count": 1000, "seed": 7, "always_updated": false, "records_per_slice": 250]))
        try source.check()
        let fields = try source.discover()
        #expect(fields.contains("id") && fields.contains("updated_at") && fields.contains("address"))
        var reader = try source.read(since: nil, batchSize: 400)
        var ids: [Value] = []
        var checkpoint: String?
        var batches = 0
        while let batch = try reader.next() {
            ids += batch.rows.compactMap { $0["id"] }
            checkpoint = batch.checkpoint
            batches += 1
        }
        #expect(ids.count == 1000 && Set(ids).count == 1000 && ids.first == .int(1), "1000 users, ids typed as numbers")
        #expect(batches >= 4, "each of faker's states closes a batch")
        let state = try #require(checkpoint)
        #expect(state.hasPrefix(#"[{"stream":{"stream_descriptor":{"name":"users"}"#), "a per-stream state")

        var again = try source.read(since: state, batchSize: 400)
        var more = 0
        while let batch = try again.next() { more += batch.rows.count }
        #expect(more == 0, "the state was honoured: nothing read twice")
    }

    @Test(.enabled(if: fakerPath != nil, skipReason))
    func theConnectorsOwnErrorTextReachesTheUserWithSecretsHidden() throws {
        let bad = try faker(.object(["seed": 1]), secrets: [AirbyteAdapter.Secret(path: ["count"], value: "hunter2-not-a-number")])
        do {
            try bad.check()
            Issue.record("a bad config passed the check")
        } catch let error as FerryError {
            #expect(error.adapterFailure == .configuration)
            #expect(error.message == "source-faker check failed: Config validation error: '***' is not of type 'integer'", "\(error.message)")
        }
        do {
            var reader = try bad.read(since: nil, batchSize: 100)
            _ = try reader.next()
            Issue.record("a bad config read records")
        } catch let error as FerryError {
            #expect(error.message.contains("is not of type 'integer'"), "the TRACE error's text, not just 'error': \(error.message)")
            #expect(!error.message.contains("hunter2") && !(error.hint ?? "").contains("hunter2"))
        }
    }

    // MARK: connectors that misbehave

    /// A connector written as a shell script; `$1` is the verb.
    func script(_ body: String, timeout: Int = 20) throws -> AirbyteAdapter {
        try scriptIn(body, timeout: timeout).adapter
    }

    func scriptIn(_ body: String, timeout: Int = 20) throws -> (adapter: AirbyteAdapter, directory: URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-airbyte-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("source-script")
        try Data(("#!/bin/sh\n" + body + "\n").utf8).write(to: file)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: file.path)
        var options = AirbyteAdapter.Options(command: [file.path])
        options.config = .object(["token": "tok-SECRET-123", "count": 3])
        options.stream = "users"
        options.timeoutSeconds = timeout
        options.workingDirectory = directory
        return (AirbyteAdapter(options: options), directory)
    }

    static let catalog = #"echo '{"type":"CATALOG","catalog":{"streams":[{"name":"users","json_schema":{"properties":{"id":{}}},"supported_sync_modes":["full_refresh"]}]}}'"#

    @Test func filesArePrivateHoldTheTypedConfigAndAreRemovedAfterwards() throws {
        let (source, directory) = try scriptIn("""
            case "$1" in
            discover) \(Self.catalog) ;;
            read)
              dir=$(dirname "$3")
              blocked=$(sed -n 's/^SigBlk:[[:space:]]*//p' /proc/self/status)
              printf '{"type":"RECORD","record":{"stream":"users","data":{"config":%s,"mode":"%s","dir":"%s","args":"%s","blocked":"%s","cwd":"%s"}}}\\n' "$(cat "$3")" "$(stat -c %a "$3")" "$dir" "$*" "$blocked" "$(pwd)"
              ;;
            esac
            """)
        var reader = try source.read(since: "ignored in full refresh", batchSize: 10)
        let row = try #require(try reader.next()?.rows.first)
        #expect(try reader.next() == nil)
        #expect(row["config"] == .object(["token": "tok-SECRET-123", "count": .int(3)]))
        #expect(row["mode"] == "600")
        #expect(row["blocked"] == "0000000000000000", "the connector starts with no signal blocked, so it can be stopped")
        #expect(row["cwd"]?.text == directory.path, "it runs in the topology's folder")
        let args = row["args"]?.text ?? ""
        #expect(args.hasPrefix("read --config ") && args.contains(" --catalog ") && !args.contains("--state"), "\(args)")
        let privateDirectory = try #require(row["dir"]?.text)
        #expect(!FileManager.default.fileExists(atPath: privateDirectory), "the private directory is removed when the read ends")
    }

    @Test func aLargeRecordArrivesWholeAndNonProtocolLinesAreNotFatal() throws {
        let source = try script("""
            case "$1" in
            discover) \(Self.catalog) ;;
            read)
              echo "Starting up (a banner on standard output)"
              printf '{"type":"RECORD","record":{"stream":"users","data":{"id":1,"blob":"%s"}}}\\n' "$(head -c 3000000 /dev/zero | tr '\\0' a)"
              printf '{"type":"RECORD","record":{"stream":"users","data":{"id":2,"amount":12345678901234567890.125}}}\\n'
              ;;
            esac
            """)
        var reader = try source.read(since: nil, batchSize: 10)
        let rows = try #require(try reader.next()?.rows)
        #expect(rows.count == 2 && rows[0]["blob"]?.text?.count == 3_000_000)
        #expect(rows[1]["amount"] == .decimal("12345678901234567890.125"), "a number keeps its exact text")
    }

    @Test func aCrashWithoutATraceSaysWhatTheConnectorLastSaid() throws {
        let source = try script("""
            echo 'Traceback (most recent call last):' >&2
            echo "ModuleNotFoundError: No module named 'airbyte_cdk' (token tok-SECRET-123)" >&2
            exit 3
            """)
        do {
            try source.check()
            Issue.record("a crash passed the check")
        } catch let error as FerryError {
            #expect(error.adapterFailure == .retryable)
            #expect(error.message == "source-script check exited with status 3: ModuleNotFoundError: No module named 'airbyte_cdk' (token ***)",
                "\(error.message)")
        }
    }

    @Test func anErrorLogBeforeAFailedExitIsTheReason() throws {
        let source = try script("""
            printf '%s\\n' '{"type":"LOG","log":{"level":"ERROR","message":"cannot reach api.example: timed out\\nTraceback…"}}'
            exit 1
            """)
        #expect(throws: FerryError.adapter(.retryable, "source-script spec exited with status 1: cannot reach api.example: timed out",
            hint: "see the connector's log lines above; run it by hand with FERRY_LOG_LEVEL=debug for more")) { _ = try source.spec() }
    }

    @Test func aSilentConnectorIsStoppedWithTheChildrenItStarted() throws {
        let (source, directory) = try scriptIn("sleep 30 & echo $! > child.pid; echo $$ > main.pid; wait", timeout: 1)
        let started = Date()
        #expect(throws: FerryError.self) { try source.check() }
        #expect(Date().timeIntervalSince(started) < 10)
        let pids = try ["main.pid", "child.pid"].map {
            try #require(Int32(String(decoding: try Data(contentsOf: directory.appendingPathComponent($0)), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        for _ in 0..<50 where pids.contains(where: { kill($0, 0) == 0 }) { usleep(100_000) }
        #expect(pids.allSatisfy { kill($0, 0) != 0 }, "the connector and its child are gone, not left running")
    }

    @Test func aCommandThatIsNotAConnectorSaysSo() throws {
        let source = try script("echo hello; echo '{\"type\":\"LOG\",\"log\":{\"level\":\"INFO\",\"message\":\"hi\"}}'")
        do {
            try source.check()
            Issue.record("no CONNECTION_STATUS, yet the check passed")
        } catch let error as FerryError {
            #expect(error.message == "source-script check ended without its answer")
        }
        var options = AirbyteAdapter.Options(command: ["/nonexistent/source-x"])
        options.timeoutSeconds = 5
        do {
            try AirbyteAdapter(options: options).check()
            Issue.record("a missing executable passed the check")
        } catch let error as FerryError {
            #expect(error.adapterFailure == .configuration && error.message.hasPrefix("cannot run /nonexistent/source-x"), "\(error.message)")
        }
    }
}
