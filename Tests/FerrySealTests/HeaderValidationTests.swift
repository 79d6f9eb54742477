import Foundation
import Testing
import FerryCore
@testable import FerrySeal

/// A bundle header is outside text until it is checked: every text field must have the
/// shape Ferry writes, and a refusal names the field without echoing the value, because
/// reasons and audit details reach the auditor console.
@Suite struct HeaderValidationTests {
    static let genuine = BundleHeader(
        id: String(repeating: "0123456789abcdef", count: 2), kind: .records, sender: "extranet-gw", senderKey: "0123456789abcdef",
        recipients: ["fedcba9876543210"], lane: "extranet→jinhong", sequence: 7, created: Date(timeIntervalSince1970: 1_700_000_000),
        expires: Date(timeIntervalSince1970: 1_800_000_000), suite: Suite.defaultSuite, records: 3, plainSize: 90, compressedSize: 60,
        chunkSize: 65536, merkleRoot: String(repeating: "ab", count: 32))

    /// The genuine header with one field replaced, decoded as a reader would.
    func decode(_ field: String, _ value: Value) throws -> BundleHeader {
        guard case .object(var object) = Self.genuine.value else { throw FerryError("test", "header is not an object") }
        object[field] = value
        return try BundleHeader(decoding: CanonicalJSON.encode(.object(object)), bundle: "test.bundle", offset: 14)
    }

    /// The text the vectors use: markup and quotes glued to marks that merge grapheme
    /// clusters (U+0600 before, U+0301 after), bidi overrides, controls, look-alikes.
    static let vectors: [(field: String, value: Value)] = [
        ("lane", .string("<script>alert(1)</script>→jinhong")),
        ("lane", .string("extranet→\u{600}<img src=x onerror=alert(1)>\u{301}")),
        ("lane", .string("extranet→jinhong\u{301}")),
        ("lane", .string("extranet→jinhong→extranet")),
        ("lane", .string("extranet->jinhong")),
        ("lane", .string("extranet→")),
        ("sender", .string("\u{600}<b>gw</b>\u{301}")),
        ("sender", .string("ext-gw\u{301}")),
        ("sender", .string("gw\"><style>tr{display:none}</style>")),
        ("sender", .string("gw\n2026-01-01 forged log line")),
        ("sender", .string("\u{202E}wg-txe")),
        ("sender", .string(String(repeating: "g", count: 65))),
        ("sender", .string("")),
        ("sender_key", .string("0123456789ABCDEF")),
        ("sender_key", .string("<meta http-equiv=refresh>")),
        ("id", .string("0123456789abcdef0123456789abcdeg")),
        ("id", .string("<base href=//evil.example/>")),
        ("suite", .string("x25519<i>")),
        ("merkle_root", .string(String(repeating: "ab", count: 31) + "a\u{301}b")),
        ("recipients", .list([.string("fedcba9876543210"), .string("<img>")])),
        ("recipients", .list([.string("fedcba9876543210"), .int(1)])),
        ("recipients", .list([])),
    ]

    @Test func theGenuineHeaderRoundTrips() throws {
        let decoded = try BundleHeader(decoding: Self.genuine.encoded, bundle: "test.bundle", offset: 14)
        #expect(decoded == Self.genuine)
    }

    @Test(arguments: 0..<vectors.count) func aHeaderWithAHostileFieldIsRefusedNamingOnlyTheField(index: Int) throws {
        let (field, value) = Self.vectors[index]
        do {
            let header = try decode(field, value)
            Issue.record("\(field) accepted: \(header)")
        } catch let error as FerryError {
            #expect(error.code == .bundleMalformed)
            #expect(error.message.contains("'\(field)'"), "\(error.message)")
            Self.expectNoRawText(of: value, in: error.description)
        }
    }

    /// No piece of the hostile value's text (its markup, marks or controls) is in `text`.
    static func expectNoRawText(of value: Value, in text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let strings: [String]
        switch value {
        case .string(let s): strings = [s]
        case .list(let items): strings = items.compactMap { if case .string(let s) = $0 { s } else { nil } }
        default: strings = []
        }
        for string in strings where !string.isEmpty && !OutsideText.isIdentifier(string) && !OutsideText.isLowercaseHex(string, count: 16) {
            #expect(!text.contains(string), "the raw value is echoed", sourceLocation: sourceLocation)
        }
        let forbidden: Set<UInt32> = [0x3C, 0x3E, 0x22, 0x301, 0x600, 0x202E]
        #expect(!text.unicodeScalars.contains { forbidden.contains($0.value) }, "\(text)", sourceLocation: sourceLocation)
    }

    @Test func everyTextFieldIsChecked() throws {
        // A field added to the header later must get a shape too: each text field here
        // refuses a value with markup in it.
        guard case .object(let object) = Self.genuine.value else { return }
        let textFields = object.filter { if case .string = $0.value { true } else { false } }.keys
        for field in textFields.sorted() where !["format", "kind", "created", "expires"].contains(field) {
            #expect(throws: FerryError.self, "\(field)") { try decode(field, .string("a<b>")) }
        }
    }

    @Test(arguments: BundleTests.suites) func aSealedBundleWhoseHeaderWasRewrittenIsRefusedBeforeAnythingElse(suite: String) throws {
        let f = try SealFixture(suite)
        let sealed = try f.seal(try f.lines(3))
        for (field, value) in [("lane", "extranet→<svg onload=alert(1)>"), ("sender", "\u{600}<img src=x>\u{301}")] {
            let forged = try Self.rewrite(sealed.url, field: field, value: value)
            do {
                _ = try BundleReader.inspect(forged)
                Issue.record("a rewritten \(field) was read")
            } catch let error as FerryError {
                #expect(error.code == .bundleMalformed && error.message.contains("'\(field)'"), "\(error)")
                Self.expectNoRawText(of: .string(value), in: error.description)
            }
            #expect(throws: FerryError.self) { try BundleReader.verifySignature(of: forged, trust: TrustStore([f.sender.publicKey])) }
        }
    }

    @Test(arguments: BundleTests.suites) func signaturesVerifyWithoutAPrivateKeyAndRefuseStrangers(suite: String) throws {
        let f = try SealFixture(suite)
        let sealed = try f.seal(try f.lines(3))
        let info = try BundleReader.verifySignature(of: sealed.url, trust: TrustStore([f.sender.publicKey]))
        #expect(info.header == sealed.header)
        // Not trusted: only the recipient's key is known.
        let unknown = f.code { _ = try BundleReader.verifySignature(of: sealed.url, trust: TrustStore([f.recipient.publicKey])) }
        #expect(unknown == "bundle.unknown-sender")
        // A flipped byte in the payload breaks the content hash or the signature.
        var bytes = try Data(contentsOf: sealed.url)
        bytes[Int(try BundleReader.inspect(sealed.url).signatureOffset) - 1] ^= 0x01  // the last chunk's tag
        try bytes.write(to: sealed.url)
        let altered = f.code { _ = try BundleReader.verifySignature(of: sealed.url, trust: TrustStore([f.sender.publicKey])) }
        #expect(altered == "bundle.name-mismatch" || altered == "bundle.bad-signature", "\(altered ?? "accepted")")
    }

    @Test func aFileNameFromOutsideIsShownEscaped() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-name-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("\u{600}<img src=x onerror=alert(1)>\u{301}.bundle")
        try Data("not a bundle at all, but long enough".utf8).write(to: file)
        do {
            _ = try BundleReader.inspect(file)
            Issue.record("garbage was read as a bundle")
        } catch let error as FerryError {
            #expect(error.description.contains("\\u{600}\\u{3C}img"), "\(error.description)")
            Self.expectNoRawText(of: .string(file.lastPathComponent), in: error.description)
        }
    }

    /// A copy of `url` whose header has `field` set to `value` (header length fixed up).
    static func rewrite(_ url: URL, field: String, value: String) throws -> URL {
        let bytes = [UInt8](try Data(contentsOf: url))
        let length = BundleLayout.read32(bytes[10..<14])
        guard case .object(var header) = try CanonicalJSON.decode(Array(bytes[14..<(14 + length)])) else {
            throw FerryError("test", "no header")
        }
        header[field] = .string(value)
        let encoded = CanonicalJSON.encode(.object(header))
        let forged = Array(bytes[0..<10]) + BundleLayout.be32(UInt32(encoded.count)) + encoded + Array(bytes[(14 + length)...])
        let out = url.deletingLastPathComponent().appendingPathComponent("forged-\(field).bundle")
        try Data(forged).write(to: out)
        return out
    }
}
