import FerryQueue
import Foundation
import Logging
import Testing
import FerryCore
import FerrySeal
@testable import FerryNode
@testable import FerryOps

/// What a real exchange puts in bundles matches docs/bundle-format.md: the independent
/// reader (written from the spec alone, strict about every key) opens a records bundle
/// and the receipt that answers it, evidence line and checkpoint signature included. And
/// `ferry bundle verify` says truthfully where a failing file is.
@Suite struct RealWorldSpecTests {
    let directory = DemoTests.temporary("spec")
    let extranet: Node
    let jinhong: Node
    static let reader = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("FerrySealTests/Fixtures/independent_reader.py")

    init() throws {
        _ = try Scaffold.create(in: directory)
        let deployment = try Deployment.load(directory.appendingPathComponent("ferry.yaml").path)
        extranet = try Node(deployment: deployment, name: "extranet-gw", logger: Logger(label: "test"))
        jinhong = try Node(deployment: deployment, name: "jinhong-gw", logger: Logger(label: "test"))
        try DemoTests.seedPortal(directory, count: 12, seed: 5)
    }

    func key(_ name: String) -> String { directory.appendingPathComponent("keys/\(name)").path }

    func bundles(in lane: String) throws -> [URL] {
        let folder = directory.appendingPathComponent("gap/\(lane)")
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".bundle") }
            .map { folder.appendingPathComponent($0) }
    }

    func objects(_ output: String) -> [[String: Value]] {
        output.split(separator: "\n").compactMap { line in
            guard case .object(let object)? = try? CanonicalJSON.decode(Array(line.utf8)) else { return nil }
            return object
        }
    }

    @Test func aRecordsBundleAndItsReceiptOpenFromTheSpecAlone() throws {
        let sync = try extranet.sync(flow: "applications-in")
        let sent = URL(fileURLWithPath: try #require(sync.bundles.first).file)
        let sentID = try BundleReader.inspect(sent).header.id
        let records = try IndependentReader.open(sent.path, recipient: key("jinhong-gw.key"), sender: key("extranet-gw.pub"))
        #expect(records.status == 0, "\(records.error)")
        #expect(objects(records.output).count == 12)

        // A signed checkpoint on the far side, so the receipt's evidence carries one.
        try jinhong.store.write { tx in try jinhong.audit.checkpoint(tx) }
        let report = try jinhong.receive()
        #expect(report.applied == 12)
        let receipt = try #require(try bundles(in: "jinhong-to-extranet").first)
        let opened = try IndependentReader.open(receipt.path, recipient: key("extranet-gw.key"), sender: key("jinhong-gw.pub"))
        #expect(opened.status == 0, "\(opened.error)")
        #expect(opened.error.contains("checkpoint verified"), "the evidence checkpoint verifies as the spec describes")
        let lines = objects(opened.output)
        #expect(lines.count == 13, "12 outcomes and the evidence line, all counted in records")
        #expect(lines.dropLast().allSatisfy { $0["entity"] == "TravelApplication" && $0["outcome"] == "applied" })
        let evidence = try #require(lines.last?["evidence"])
        guard case .object(let fields) = evidence else { throw FerryError("test", "evidence is not an object") }
        #expect(fields["node"] == "jinhong-gw")
        #expect(fields["bundle"] == .string(sentID))
    }

    @Test func bundleVerifyLeavesAFailingFileWhereItIsAndSaysSo() throws {
        let sync = try extranet.sync(flow: "applications-in")
        let file = URL(fileURLWithPath: try #require(sync.bundles.first).file)
        var bytes = try Data(contentsOf: file)
        bytes[bytes.count / 2] ^= 0x20
        try bytes.write(to: file)

        let process = Process()
        process.executableURL = CrashRecoveryTests.ferry
        process.arguments = ["bundle", "verify", file.path, "--config", directory.appendingPathComponent("ferry.yaml").path, "--node", "jinhong-gw"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()

        #expect(process.terminationStatus != 0)
        #expect(output.contains("error[bundle."))
        #expect(output.contains("was left where it is"), "\(output)")
        #expect(!output.contains("is quarantined"))
        #expect(FileManager.default.fileExists(atPath: file.path), "verify only reads")
        #expect(!FileManager.default.fileExists(atPath: file.deletingLastPathComponent().appendingPathComponent("quarantine").path))

        // The receiver is what quarantines it, and says so.
        let report = try jinhong.receive()
        #expect(report.bundlesRejected == 1)
        #expect(!FileManager.default.fileExists(atPath: file.path))
        #expect(FileManager.default.fileExists(atPath: file.deletingLastPathComponent().appendingPathComponent("quarantine/\(file.lastPathComponent)").path))
    }
}

/// Runs Tests/FerrySealTests/Fixtures/independent_reader.py.
enum IndependentReader {
    static func open(_ bundle: String, recipient: String, sender: String) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", RealWorldSpecTests.reader.path, "open", bundle, recipient, sender]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let error = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: error, as: UTF8.self))
    }
}
