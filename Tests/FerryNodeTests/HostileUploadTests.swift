import FerryQueue
import Foundation
import GRDB
import Logging
import Testing
import FerryTestSupport
import FerryCore
import FerryAudit
import FerrySeal
import FerryTransport
@testable import FerryNode
@testable import FerryOps

/// `POST /bundles/…` on a real `ferry run --console` node, as an attacker who can reach the
/// port sends it: hostile lane names, forged and altered bundles, an oversized body and a
/// burst. Each is refused with a fixed message, nothing reaches the transfer area, and the
/// audit log holds one summary and no hostile text; a genuine push still lands and applies.
@Suite(.serialized) struct HostileUploadTests {
    /// Markup and quotes glued to marks that merge grapheme clusters (issue 16's payload).
    static let payload = "\u{600}<img src=x onerror=alert(1)>\u{301}"
    static let capacity = 300_000

    @Test func forgedMalformedOversizedAndBurstUploadsAreRefusedAndAGenuineOneLands() throws {
        let node = try UploadNode()
        defer { node.stop() }
        let genuine = try node.pushGenuineBundle()
        let before = try node.transferAreaFiles()

        var answers: [(what: String, response: HTTPClient.Response, expected: Int)] = []
        func post(_ what: String, _ path: String, _ body: [UInt8], expect: Int) throws {
            answers.append((what, try node.post(path, body), expect))
        }
        let name = genuine.lastPathComponent
        let bytes = [UInt8](try Data(contentsOf: genuine))
        let encoded = Self.payload.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        try post("hostile from", "/bundles/\(encoded)/jinhong/\(name)", bytes, expect: 400)
        try post("hostile to", "/bundles/extranet/\(encoded)/\(name)", bytes, expect: 400)
        try post("hostile name", "/bundles/extranet/jinhong/\(encoded).bundle", bytes, expect: 400)
        try post("a lane this node does not receive", "/bundles/jinhong/extranet/\(name)", bytes, expect: 404)
        for field in ["lane", "sender"] {
            let forged = try Self.rewrite(bytes, field: field, value: field == "lane" ? "extranet→\(Self.payload)" : Self.payload)
            try post("hostile header \(field)", "/bundles/extranet/jinhong/\(name)", forged, expect: 400)
        }
        var altered = bytes
        altered[Int(try BundleReader.inspect(genuine).signatureOffset) - 1] ^= 0x01  // the last chunk's tag
        try post("altered bundle", "/bundles/extranet/jinhong/\(name)", altered, expect: 403)
        let stranger = try node.seal(with: NodeKey.generate(node: "extranet-gw"))
        try post("unsigned by a trusted key", "/bundles/extranet/jinhong/\(stranger.lastPathComponent)", try Array(Data(contentsOf: stranger)), expect: 403)
        let wrongSender = try node.seal(with: NodeKey.load(node.directory.appendingPathComponent("keys/jinhong-gw.key")))
        try post("signed by another zone's node", "/bundles/extranet/jinhong/\(wrongSender.lastPathComponent)",
            try Array(Data(contentsOf: wrongSender)), expect: 403)
        try post("oversized", "/bundles/extranet/jinhong/\(String(repeating: "ab", count: 32)).bundle",
            [UInt8](repeating: 0x41, count: Self.capacity + 1), expect: 413)

        // Without a Content-Length the cap holds while the body streams in.
        let big = node.directory.appendingPathComponent("big.bin")
        try Data(repeating: 0x42, count: Self.capacity + 1).write(to: big)
        #expect(try node.postChunked("/bundles/extranet/jinhong/\(String(repeating: "cd", count: 32)).bundle", file: big) == 413)

        for answer in answers {
            #expect(answer.response.status == answer.expected, "\(answer.what): \(answer.response.status) \(answer.response.excerpt)")
            Self.expectInert(String(decoding: answer.response.body, as: UTF8.self), answer.what)
        }

        // A burst beyond the bucket is answered 429 with Retry-After, before any body is read.
        var limited: HTTPClient.Response?
        for _ in 0..<40 where limited == nil {
            let response = try node.post("/bundles/extranet/jinhong/not-a-bundle.bundle", Array("x".utf8))
            if response.status == 429 { limited = response }
        }
        let retryAfter = limited?.header("retry-after").flatMap(Int.init)
        #expect(retryAfter.map { $0 >= 1 } == true, "no 429 with Retry-After in a burst of 40")

        // The node polls its transfer area twice a second: give it time to act on anything there.
        Thread.sleep(forTimeInterval: 1.5)
        #expect(try node.transferAreaFiles() == before, "a refused upload reached the transfer area")
        let entries = try node.auditEntries()
        let refused = entries.filter { $0.event.kind.rawValue == "upload-refused" }
        #expect(refused.count == 1, "refusals within one window make one audit entry")
        #expect(refused.first?.event.details["reason"]?.text == "bad-lane")
        // Limits and audit name the peer by its socket address.
        #expect(refused.first?.event.details["client"]?.text == "127.0.0.1")
        for entry in entries {
            for text in Self.texts(entry.value) { Self.expectInert(text, "audit entry \(entry.sequence)") }
        }
    }

    /// No part of the hostile payload raw: no markup or quote characters, no cluster-forming
    /// marks. (Escaped as `\u{3C}img…` it is inert text and may be shown.)
    static func expectInert(_ text: String, _ what: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let forbidden: Set<UInt32> = [0x3C, 0x3E, 0x22, 0x301, 0x600]
        #expect(!text.unicodeScalars.contains { forbidden.contains($0.value) }, "\(what): \(text)", sourceLocation: sourceLocation)
    }

    static func texts(_ value: Value) -> [String] {
        switch value {
        case .string(let s): return [s]
        case .list(let items): return items.flatMap(texts)
        case .object(let fields): return fields.keys.map { $0 } + fields.values.flatMap(texts)
        default: return []
        }
    }

    /// `bytes` of a bundle with one header field set to `value` (header length fixed up).
    static func rewrite(_ bytes: [UInt8], field: String, value: String) throws -> [UInt8] {
        let length = Int(bytes[10]) << 24 | Int(bytes[11]) << 16 | Int(bytes[12]) << 8 | Int(bytes[13])
        guard case .object(var header) = try CanonicalJSON.decode(Array(bytes[14..<(14 + length)])) else {
            throw FerryError("test", "no header")
        }
        header[field] = .string(value)
        let encoded = CanonicalJSON.encode(.object(header))
        let count = UInt32(encoded.count)
        let prefix = Array(bytes[0..<10]) + [UInt8(count >> 24), UInt8((count >> 16) & 0xFF), UInt8((count >> 8) & 0xFF), UInt8(count & 0xFF)]
        return prefix + encoded + Array(bytes[(14 + length)...])
    }
}

/// The jinhong node of the two-zone scaffold under `ferry run --console`, taking pushes from
/// the extranet node over HTTP on loopback, with a lane capacity of `HostileUploadTests.capacity`.
final class UploadNode: @unchecked Sendable {
    // @unchecked: set up once in init; the process is only touched by the test's thread.
    let directory = DemoTests.temporary("hostile-upload")
    let port = TestPort.free()
    let process = Process()
    let client = HTTPClient(options: HTTPClient.Options())

    init() throws {
        _ = try Scaffold.create(in: directory)
        let config = directory.appendingPathComponent("ferry.yaml")
        let text = try String(contentsOf: config, encoding: .utf8).replacingOccurrences(
            of: "via: { dir: gap/extranet-to-jinhong }",
            with: "via: { dir: gap/extranet-to-jinhong, http: \"http://127.0.0.1:\(port)\" }, max_bytes: \(HostileUploadTests.capacity)")
        try Data(text.utf8).write(to: config)
        try DemoTests.seedPortal(directory, count: 20, seed: 16)
        process.executableURL = CrashRecoveryTests.ferry
        process.arguments = ["run", "--config", config.path, "--node", "jinhong-gw", "--poll", "0.5", "--console", "--listen", "127.0.0.1:\(port)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, (try? client.perform(.init(url: url("/healthz"))))?.status != 200 { usleep(100_000) }
    }

    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
    }

    var config: String { directory.appendingPathComponent("ferry.yaml").path }
    var gap: URL { directory.appendingPathComponent("gap/extranet-to-jinhong") }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    func post(_ path: String, _ body: [UInt8]) throws -> HTTPClient.Response {
        try client.perform(.init(method: "POST", url: url(path), headers: ["Content-Type: application/vnd.ferry.bundle"], body: .bytes(body)))
    }

    /// POSTs `file` with chunked transfer encoding (no Content-Length) through curl; the status.
    func postChunked(_ path: String, file: URL) throws -> Int {
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        curl.arguments = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "-H", "Transfer-Encoding: chunked",
            "--data-binary", "@\(file.path)", url(path)]
        let pipe = Pipe()
        curl.standardOutput = pipe
        try curl.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        curl.waitUntilExit()
        return Int(String(decoding: data, as: UTF8.self)) ?? 0
    }

    /// Syncs the extranet node, which pushes its bundle here; waits until the running node
    /// has applied it; returns the archived copy.
    func pushGenuineBundle() throws -> URL {
        let extranet = try Node(deployment: try Deployment.load(config), name: "extranet-gw", logger: Logger(label: "test"))
        let sync = try extranet.sync(flow: "applications-in")
        #expect(sync.held.isEmpty, "the genuine push was held: \(sync.held)")
        let approval = try DaemonTests.shared(directory.appendingPathComponent("data/approval.db"))
        var delivered = 0
        for _ in 0..<150 where delivered < 20 {
            delivered = try approval.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqsp") ?? 0 }
            if delivered < 20 { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(delivered == 20, "the genuine bundle was not received and applied")
        let archive = gap.appendingPathComponent("archive")
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: archive.path).first { OutsideText.isBundleFileName($0) })
        return archive.appendingPathComponent(name)
    }

    /// A bundle on lane extranet→jinhong sealed with `key` to the jinhong node.
    func seal(with key: NodeKey) throws -> URL {
        let recipient = try PublicKey.load(directory.appendingPathComponent("keys/jinhong-gw.pub"))
        let writer = try BundleWriter(directory: directory.appendingPathComponent("forged-\(UUID().uuidString)"), sender: key,
            recipients: [recipient], parameters: BundleWriter.Parameters(lane: "extranet→jinhong", sequence: 99))
        try writer.append(line: Array(#"{"forged":true}"#.utf8))
        return try writer.finish().url
    }

    /// Every file under the lane's transfer area, relative to it.
    func transferAreaFiles() throws -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: gap.path)
        var files: [String] = []
        while let path = enumerator?.nextObject() as? String { files.append(path) }
        return files.sorted()
    }

    func auditEntries() throws -> [AuditEntry] {
        try DaemonTests.shared(directory.appendingPathComponent("state/jinhong-gw.db")).read { db in try AuditLog.entries(StoreTransaction(SQLiteStoreConnection(db))) }
    }
}
