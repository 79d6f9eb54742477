import Foundation
import Testing
import FerryCore
@testable import FerrySeal

/// A Python reader written only from docs/bundle-format.md opens what Ferry seals, in both
/// suites, from the key files `ferry keys generate` writes: proof that the specification is
/// complete. The reader is strict (undocumented key-file lines, line keys or escapes make
/// it refuse), so these tests fail when the code drifts from the spec.
@Suite struct IndependentReaderTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/independent_reader.py")

    static func python(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path] + arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Standard error is small; reading it after standard output cannot fill its pipe.
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let error = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: error, as: UTF8.self))
    }

    /// Record envelopes whose text needs every kind of escape the spec names: control
    /// characters (`\u00XX`, lowercase), a composite key, DEL, `/`, non-ASCII, a decimal.
    static func envelopes(_ count: Int) -> [[UInt8]] {
        (0..<count).map { index in
            CanonicalJSON.encode(.object([
                "entity": "TravelApplication", "flow": "applications-in", "op": "upsert", "version": "2026-11-24T09:30:05Z",
                "key": .list([.string("WB\(index)"), "甲"]),
                "fields": .object([
                    "memo": .string("tab\tline\ncr\r bell\u{07} unit\u{1F} del\u{7F} a/b 王伟 \"q\" \\ \u{0C}\u{08}"),
                    "amount": .decimal("12345678901234.5678"), "count": .int(Int64(index) - 3), "cleared": .null, "ok": .bool(index % 2 == 0),
                ]),
            ]))
        }
    }

    func keys(_ f: SealFixture) throws -> (recipient: String, sender: String) {
        let folder = f.directory.appendingPathComponent("keys")
        return (try f.recipient.write(to: folder, name: "jh-gw").privateFile.path, try f.sender.write(to: folder, name: "ext-gw").publicFile.path)
    }

    @Test(arguments: [Suite.defaultSuite, Suite.sm]) func eachSuiteOpensFromTheSpecAndTheKeyFilesAlone(suite: String) throws {
        let f = try SealFixture(suite)
        let (recipient, sender) = try keys(f)
        let input = Self.envelopes(200)
        let sealed = try f.seal(input, chunkSize: 2048)
        let result = try Self.python(["open", sealed.url.path, recipient, sender])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output == input.map { String(decoding: $0, as: UTF8.self) + "\n" }.joined())
        #expect(String(decoding: input[0], as: UTF8.self).contains(#"\u001f del"#), "the escapes under test are really there")

        // and it refuses a tampered copy, as Ferry does
        var bytes = try Data(contentsOf: sealed.url)
        bytes[bytes.count - 10] ^= 1
        try bytes.write(to: sealed.url)
        #expect(try Self.python(["open", sealed.url.path, recipient, sender]).status != 0)
    }

    /// The SM2 keys are SEC1 `ECPrivateKey`, as the spec now says; the reader parses them
    /// itself and refuses PKCS#8, so a change of encoding would show here.
    @Test func smPrivateKeysAreSEC1AsSpecified() throws {
        let f = try SealFixture(Suite.sm)
        let der = try f.recipient.engine.encodePrivate(f.recipient.box)
        #expect(der.count == 121)
        #expect(Array(der.prefix(7)) == [0x30, 0x77, 0x02, 0x01, 0x01, 0x04, 0x20], "SEQUENCE { INTEGER 1, OCTET STRING (32) … }")
        #expect(hex(der).contains("a00a06082a811ccf5501822d"), "[0] names the SM2 curve")
    }

    /// The reader's canonical check has teeth: an uppercase `\u001F` is refused.
    @Test func aLineWithAnUppercaseEscapeIsNotCanonical() throws {
        let f = try SealFixture(Suite.defaultSuite)
        let (recipient, sender) = try keys(f)
        var line = String(decoding: Self.envelopes(1)[0], as: UTF8.self)
        line = line.replacingOccurrences(of: #"\u001f"#, with: #"\u001F"#)
        let sealed = try f.seal([Array(line.utf8)])
        let result = try Self.python(["open", sealed.url.path, recipient, sender])
        #expect(result.status != 0)
        #expect(result.error.contains("canonical"))
    }
}
