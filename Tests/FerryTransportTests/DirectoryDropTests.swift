import Foundation
import Testing
import FerryCore
@testable import FerryTransport

@Suite struct DirectoryDropTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-drop-\(UUID().uuidString)")

    /// A content-hash file name made of one repeated hex pair: only such names are bundles.
    static func named(_ pair: String) -> String { String(repeating: pair, count: 32) + ".bundle" }

    func bundle(_ pair: String, size: Int = 1000) throws -> URL {
        let url = directory.appendingPathComponent("src/\(Self.named(pair))")
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data((0..<size).map { UInt8($0 % 251) }).write(to: url)
        return url
    }

    func area(maxFiles: Int? = nil, maxBytes: Int64? = nil) throws -> DirectoryDrop {
        let gap = directory.appendingPathComponent("gap")
        try FileManager.default.createDirectory(at: gap, withIntermediateDirectories: true)
        return DirectoryDrop(directory: gap, maxFiles: maxFiles, maxBytes: maxBytes)
    }

    @Test func shippedFilesAppearWholeAndPartFilesAreIgnored() throws {
        let drop = try area()
        let source = try bundle("aa")
        let shipped = try drop.ship(source)
        #expect(try Data(contentsOf: shipped) == Data(contentsOf: source))
        // A writer that died mid-copy leaves a .part file; readers must not see it.
        try Data("partial".utf8).write(to: drop.directory.appendingPathComponent(Self.named("bb") + ".part"))
        try Data("notes".utf8).write(to: drop.directory.appendingPathComponent("README"))
        #expect(try drop.pending().map(\.lastPathComponent) == [Self.named("aa")])
        // Shipping again is harmless.
        #expect(try drop.ship(source) == shipped)
    }

    @Test func aMissingAreaIsNeverCreatedAndSaysSo() throws {
        let drop = DirectoryDrop(directory: directory.appendingPathComponent("unmounted"))
        do {
            try drop.ship(try bundle("aa"))
            Issue.record("dropped into a missing area")
        } catch let error as FerryError {
            #expect(error.code == .transportUnavailable)
        }
        #expect(!FileManager.default.fileExists(atPath: drop.directory.path))
    }

    @Test func aFullAreaRefusesMoreUntilDrained() throws {
        let drop = try area(maxFiles: 2)
        try drop.ship(try bundle("aa"))
        try drop.ship(try bundle("bb"))
        #expect(throws: FerryError.self) { try drop.ship(try bundle("cc")) }
        try drop.archive(drop.directory.appendingPathComponent(Self.named("aa")))
        try drop.ship(try bundle("cc"))
        let bytes = try area(maxBytes: 2500)
        #expect(throws: FerryError.self) { try bytes.ship(try bundle("dd", size: 1000)) }
    }

    @Test func archiveAndQuarantineMoveFilesAndKeepAReason() throws {
        let drop = try area()
        let first = try drop.ship(try bundle("aa"))
        let second = try drop.ship(try bundle("bb"))
        try drop.archive(first)
        try drop.quarantine(second, reason: "bundle.bad-signature: signature does not verify")
        #expect(try drop.pending().isEmpty)
        #expect(FileManager.default.fileExists(atPath: drop.directory.appendingPathComponent("archive/" + Self.named("aa")).path))
        let reason = try String(contentsOf: drop.directory.appendingPathComponent("quarantine/" + Self.named("bb") + ".reason.txt"), encoding: .utf8)
        #expect(reason.contains("bad-signature"))
    }
}

/// HTTPPush against a real HTTP server on loopback.
@Suite(.serialized) struct HTTPPushTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-http-\(UUID().uuidString)")

    func withReceiver(_ body: (Int, URL) throws -> Void) throws {
        let received = directory.appendingPathComponent("received")
        try FileManager.default.createDirectory(at: received, withIntermediateDirectories: true)
        let portFile = directory.appendingPathComponent("port")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/receiver.py")
        let process = Process()
        // The system interpreter itself, not a version-manager shim, so terminate() reaches it.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script.path, received.path, portFile.path]
        try process.run()
        defer {
            // SIGKILL: the child may inherit a signal mask that blocks SIGTERM.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        var port: Int?
        for _ in 0..<200 where port == nil {
            port = (try? String(contentsOf: portFile, encoding: .utf8)).flatMap { Int($0) }
            if port == nil { Thread.sleep(forTimeInterval: 0.05) }
        }
        try body(try #require(port), received)
    }

    func file(size: Int) throws -> URL {
        let url = directory.appendingPathComponent("\(UUID().uuidString).bundle")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data((0..<size).map { UInt8(($0 * 7) % 256) }).write(to: url)
        return url
    }

    @Test func pushesABundleByteForByte() throws {
        try withReceiver { port, received in
            let bundle = try file(size: 3 << 20)
            let status = try HTTPPush(options: .init(url: "http://127.0.0.1:\(port)/in")).ship(bundle)
            #expect(status == 201)
            #expect(try Data(contentsOf: received.appendingPathComponent(bundle.lastPathComponent)) == Data(contentsOf: bundle))
        }
    }

    @Test func serverErrorsAreRetryableAndRefusalsAreNot() throws {
        try withReceiver { port, _ in
            let bundle = try file(size: 100)
            do {
                try HTTPPush(options: .init(url: "http://127.0.0.1:\(port)/busy")).ship(bundle)
                Issue.record("a 503 counted as delivered")
            } catch let error as FerryError {
                #expect(error.code == .transportRetryable)
                #expect(error.message.contains("503"))
            }
            do {
                try HTTPPush(options: .init(url: "http://127.0.0.1:\(port)/gone")).ship(bundle)
                Issue.record("a 404 counted as delivered")
            } catch let error as FerryError {
                #expect(error.code == .transportRefused)
            }
        }
    }

    @Test func anUnreachableEndpointIsRetryable() throws {
        let bundle = try file(size: 100)
        var options = HTTPPush.Options(url: "http://127.0.0.1:9/in")
        options.connectTimeout = 2
        do {
            try HTTPPush(options: options).ship(bundle)
            Issue.record("pushed to a closed port")
        } catch let error as FerryError {
            #expect(error.code == .transportRetryable)
        }
    }
}
