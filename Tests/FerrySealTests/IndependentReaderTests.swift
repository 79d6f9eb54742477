import Foundation
import Testing
import FerryCore
@testable import FerrySeal

/// A Python reader written only from docs/bundle-format.md opens what Ferry seals: proof
/// that the specification is complete.
@Suite struct IndependentReaderTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/independent_reader.py")

    func python(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.script.path] + arguments
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

    @Test func theDefaultSuiteOpensFromTheSpecAlone() throws {
        let f = try SealFixture(Suite.defaultSuite)
        let keys = try f.recipient.write(to: f.directory.appendingPathComponent("keys"), name: "jh-gw")
        let senderKeys = try f.sender.write(to: f.directory.appendingPathComponent("keys"), name: "ext-gw")
        let input = try f.lines(300, size: 48)
        let sealed = try f.seal(input, chunkSize: 2048)
        let result = try python(["x25519", sealed.url.path, keys.privateFile.path, senderKeys.publicFile.path])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output == input.map { String(decoding: $0, as: UTF8.self) + "\n" }.joined())

        // and it refuses a tampered copy, as Ferry does
        var bytes = try Data(contentsOf: sealed.url)
        bytes[bytes.count - 10] ^= 1
        try bytes.write(to: sealed.url)
        #expect(try python(["x25519", sealed.url.path, keys.privateFile.path, senderKeys.publicFile.path]).status != 0)
    }

    @Test func theSMPayloadLayerOpensFromTheSpecAlone() throws {
        let f = try SealFixture(Suite.sm)
        let input = try f.lines(300, size: 48)
        var parameters = BundleWriter.Parameters(lane: "jinhong→passport", sequence: 3)
        parameters.chunkSize = 2048
        let writer = try BundleWriter(directory: f.directory, sender: f.sender, recipients: [f.recipient.publicKey], parameters: parameters)
        var fileKey: [UInt8] = []
        writer.exposeFileKey = { fileKey = $0 }
        for line in input { try writer.append(line: line) }
        let sealed = try writer.finish()
        let result = try python(["sm", sealed.url.path, hex(fileKey)])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output == input.map { String(decoding: $0, as: UTF8.self) + "\n" }.joined())
        #expect(try f.open(sealed.url) == input)
    }
}
