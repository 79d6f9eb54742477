import FerryQueue
import Foundation
import Logging
import Testing
import FerryCore
@testable import FerryNode
@testable import FerryOps

/// Output paths as operators give them: a named pipe read by another program, /dev/null,
/// /dev/stdout in a pipeline, a symbolic link. Files are renamed into place when complete;
/// pipes and devices are written in place and never replaced (as root, `--out /dev/null`
/// once replaced /dev/null with a regular file). Standard output carries only records.
@Suite struct RealWorldOutputFilesTests {
    let directory = DemoTests.temporary("outputs")
    var config: String { directory.appendingPathComponent("ferry.yaml").path }
    static let mapping = MappingCommandTests.mappings.appendingPathComponent("foreign-affairs/portal.yaml").path

    init() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    struct Run {
        var status: Int32
        var stdout: Data
        var stderr: String
        var text: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Starts a program with its output in files (no pipe can fill and stall it).
    func start(_ executable: URL, _ arguments: [String], name: String) throws -> (Process, URL, URL) {
        let out = directory.appendingPathComponent("\(name).stdout")
        let err = directory.appendingPathComponent("\(name).stderr")
        for file in [out, err] { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        return (process, out, err)
    }

    /// Waits at most `seconds`, then kills: a test that would hang fails instead.
    func finish(_ started: (Process, URL, URL), seconds: Double = 60) throws -> Run {
        let (process, out, err) = started
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            Issue.record("\(process.arguments ?? []) did not finish in \(seconds) s")
        }
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: try Data(contentsOf: out),
            stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self))
    }

    func ferry(_ arguments: [String]) throws -> Run {
        try finish(try start(CrashRecoveryTests.ferry, arguments, name: "ferry-\(UUID().uuidString)"))
    }

    /// A named pipe with a reader (`cat`) already waiting on it, as a downstream program would.
    func pipeWithReader(_ name: String) throws -> (path: String, reader: (Process, URL, URL)) {
        let path = directory.appendingPathComponent(name).path
        #expect(mkfifo(path, 0o600) == 0)
        return (path, try start(URL(fileURLWithPath: "/bin/cat"), [path], name: "cat-\(name)"))
    }

    static func type(_ path: String) -> mode_t {
        var info = stat()
        guard lstat(path, &info) == 0 else { return 0 }
        return info.st_mode & S_IFMT
    }

    /// Two valid applications and one with a bad ID check digit, in the portal's dialect.
    func input() throws -> String {
        let good = #"{"app_no":"WB2026000001","applicant_name":"王伟","id_card":"350203198001010013","sex":"M","employer_uscc":"91350200MA2YH12349","destinations":"AU;US","depart_on":"2026-03-01","return_on":"2026-03-10","purpose":"商务","updated_at":"2026-02-01 09:30:00"}"#
        let second = good.replacingOccurrences(of: "WB2026000001", with: "WB2026000003")
        let bad = good.replacingOccurrences(of: "350203198001010013", with: "350203198001010010").replacingOccurrences(of: "WB2026000001", with: "WB2026000002")
        let file = directory.appendingPathComponent("rows.ndjson")
        try Data([good, bad, second].joined(separator: "\n").utf8).write(to: file)
        return file.path
    }

    /// A scaffolded deployment and one sealed bundle of 30 records for jinhong-gw.
    func sealedBundle() throws -> (file: URL, node: Node) {
        _ = try Scaffold.create(in: directory)
        try DemoTests.seedPortal(directory, count: 30, seed: 11)
        let node = try Node(deployment: Deployment.load(config), name: "extranet-gw", logger: Logger(label: "test"))
        let sync = try node.sync(flow: "applications-in")
        return (URL(fileURLWithPath: try #require(sync.bundles.first).file), node)
    }

    @Test func mappingApplyWritesNamedPipesInPlaceForAConcurrentReader() throws {
        let out = try pipeWithReader("records.fifo")
        let rejects = try pipeWithReader("rejects.fifo")
        let run = try ferry(["mapping", "apply", "--mapping", Self.mapping, "--in", try input(), "--out", out.path, "--rejects", rejects.path])
        #expect(run.status == 2, "one line is rejected: \(run.stderr)")
        let records = try finish(out.reader, seconds: 10).text.split(separator: "\n")
        #expect(records.count == 2)
        #expect(records.allSatisfy { $0.contains(#""gender":"male""#) })
        let refused = try finish(rejects.reader, seconds: 10).text.split(separator: "\n")
        #expect(refused.count == 1 && refused[0].contains("cn_resident_id"))
        #expect(Self.type(out.path) == S_IFIFO && Self.type(rejects.path) == S_IFIFO, "the pipes are still pipes")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).allSatisfy { !$0.hasSuffix(".part") })
    }

    @Test func bundleOpenToStandardOutputCarriesOnlyRecordsAndToAPipeTheSame() throws {
        let (bundle, _) = try sealedBundle()
        let run = try ferry(["bundle", "open", bundle.path, "--config", config, "--node", "jinhong-gw", "--out", "/dev/stdout"])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.text.split(separator: "\n")
        #expect(lines.count == 30)
        #expect(lines.allSatisfy { line in
            guard case .object(let record)? = try? CanonicalJSON.decode(Array(line.utf8)) else { return false }
            return record["entity"] == .string("TravelApplication")
        }, "every line of standard output is a record")
        #expect(run.stderr.contains("wrote 30 records of bundle"))

        let pipe = try pipeWithReader("bundle.fifo")
        let piped = try ferry(["bundle", "open", bundle.path, "--config", config, "--node", "jinhong-gw", "--out", pipe.path])
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(try finish(pipe.reader, seconds: 10).stdout == run.stdout)
        #expect(Self.type(pipe.path) == S_IFIFO)
    }

    @Test func mappingApplyToStandardOutputCarriesOnlyRecords() throws {
        for out in [[], ["--out", "/dev/stdout"]] {
            let run = try ferry(["mapping", "apply", "--mapping", Self.mapping, "--in", try input()] + out)
            #expect(run.status == 2)
            let lines = run.text.split(separator: "\n")
            #expect(lines.count == 2 && lines.allSatisfy { $0.hasPrefix("{") && $0.contains(#""application_id":"WB202600000"#) }, "\(run.text)")
            #expect(run.stderr.contains("3 lines: 2 mapped, 1 rejected"))
        }
    }

    @Test func auditExportToStandardOutputIsAnExportThatVerifies() throws {
        let (_, node) = try sealedBundle()
        try node.store.write { tx in try node.audit.checkpoint(tx) }
        let run = try ferry(["audit", "export", "--config", config, "--node", "extranet-gw", "--since", "2000-01-01", "--until", "2100-01-01",
            "--out", "/dev/stdout"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("wrote /dev/stdout: export #1"))
        let file = directory.appendingPathComponent("captured.audit")
        try run.stdout.write(to: file)
        let verified = try ferry(["audit", "verify", "--config", config, "--export", file.path])
        #expect(verified.status == 0, "standard output held the export and nothing else: \(verified.stderr)")
    }

    /// As root a regression would break the machine's /dev/null; the test puts it back.
    @Test func devNullStaysACharacterDeviceForEveryCommandThatWritesAFile() throws {
        let (bundle, node) = try sealedBundle()
        try node.store.write { tx in try node.audit.checkpoint(tx) }
        let runs = [
            try ferry(["mapping", "apply", "--mapping", Self.mapping, "--in", try input(), "--out", "/dev/null", "--rejects", "/dev/null"]),
            try ferry(["bundle", "open", bundle.path, "--config", config, "--node", "jinhong-gw", "--out", "/dev/null"]),
            try ferry(["audit", "export", "--config", config, "--node", "extranet-gw", "--since", "2000-01-01", "--until", "2100-01-01",
                "--out", "/dev/null"]),
        ]
        let null: dev_t = (1 << 8) | 3  // Linux's makedev(1, 3)
        var info = stat()
        let intact = stat("/dev/null", &info) == 0 && info.st_mode & S_IFMT == S_IFCHR && info.st_rdev == null
        if !intact {
            unlink("/dev/null")
            _ = mknod("/dev/null", S_IFCHR | 0o666, null)
            chmod("/dev/null", 0o666)
        }
        #expect(intact, "/dev/null is still the null device")
        #expect(runs.map(\.status) == [2, 0, 0], "\(runs.map(\.stderr))")
    }

    @Test func aRegularFileIsReplacedWholeAndASymbolicLinkIsKept() throws {
        let target = directory.appendingPathComponent("real.ndjson")
        try Data("old\n".utf8).write(to: target)
        let link = directory.appendingPathComponent("latest.ndjson")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: target)
        let run = try ferry(["mapping", "apply", "--mapping", Self.mapping, "--in", try input(), "--out", link.path])
        #expect(run.status == 2)
        #expect(Self.type(link.path) == S_IFLNK, "the link is still a link")
        let written = try String(contentsOf: target, encoding: .utf8)
        #expect(!written.contains("old") && written.split(separator: "\n").count == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).allSatisfy { !$0.hasSuffix(".part") })
    }

    @Test func bundleOpenCreatesItsFileOwnerOnly() throws {
        let (bundle, _) = try sealedBundle()
        let out = directory.appendingPathComponent("records.ndjson")
        try Data("stale\n".utf8).write(to: out)
        let run = try ferry(["bundle", "open", bundle.path, "--config", config, "--node", "jinhong-gw", "--out", out.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.isEmpty)
        let mode = try FileManager.default.attributesOfItem(atPath: out.path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        #expect(try String(contentsOf: out, encoding: .utf8).split(separator: "\n").count == 30)
    }
}
