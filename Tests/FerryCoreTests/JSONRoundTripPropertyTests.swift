import Foundation
import Testing
@testable import FerryCore

/// For random values: what CanonicalJSON writes, it reads back as the same value, and what
/// it writes is JSON to a separate parser (Foundation's JSONSerialization) too.
@Suite struct JSONRoundTripPropertyTests {
    /// Random values, replayable from the seed.
    struct Generator {
        var random: SplitMix64

        /// Characters that stress the encoder: quotes, backslashes, every control character,
        /// DEL, line separators, a BOM, combining marks, CJK, 4-byte characters.
        static let pieces: [String] = [
            "a", "Z", "0", " ", "\"", "\\", "/", "\u{0}", "\u{1}", "\u{8}", "\t", "\n", "\u{B}", "\u{C}", "\r", "\u{1F}", "\u{7F}",
            "\u{80}", "é", "e\u{301}", "\u{2028}", "\u{2029}", "\u{FEFF}", "\u{FFFD}", "\u{FFFF}", "王", "伟", "𠀀", "😀", "👍🏽",
            "\u{10FFFF}", "{", "}", "[", "]", ":", ",", "\\u0041", "null",
        ]

        mutating func string() -> String {
            (0..<random.below(12)).map { _ in Self.pieces[random.below(Self.pieces.count)] }.joined()
        }

        /// A JSON number that does not read back as a 64-bit integer.
        mutating func decimal() -> String {
            func digits(_ count: Int) -> String { String((0..<count).map { _ in Character(String(random.below(10))) }) }
            let sign = random.below(3) == 0 ? "-" : ""
            let whole = random.below(4) == 0 ? "0" : String(1 + random.below(9)) + digits(random.below(25))
            switch random.below(4) {
            case 0: return sign + whole + "." + digits(1 + random.below(20))
            case 1: return sign + whole + ["e", "E"][random.below(2)] + ["", "+", "-"][random.below(3)] + String(random.below(280))
            case 2: return sign + whole + "." + digits(1 + random.below(5)) + "e-" + String(1 + random.below(300))
            default: return sign + String(1 + random.below(9)) + digits(19 + random.below(20))  // beyond Int64
            }
        }

        mutating func value(depth: Int = 0) -> Value {
            switch random.below(depth > 4 ? 6 : 8) {
            case 0: return .null
            case 1: return .bool(random.below(2) == 0)
            case 2: return .int(Int64(bitPattern: random.next()) >> UInt64(random.below(64)))
            case 3: return .decimal(decimal())
            case 4, 5: return .string(string())
            case 6: return .list((0..<random.below(5)).map { _ in value(depth: depth + 1) })
            default:
                var members: [String: Value] = [:]
                for _ in 0..<random.below(5) { members[string()] = value(depth: depth + 1) }
                return .object(members)
            }
        }
    }

    @Test func decodingWhatWasEncodedGivesTheSameValueAndTheTextIsJSON() throws {
        var generator = Generator(random: SplitMix64(seed: 8259))
        for round in 0..<3_000 {
            let value = generator.value()
            let bytes = CanonicalJSON.encode(value)
            #expect(try CanonicalJSON.decode(bytes) == value, "round \(round): \(String(decoding: bytes, as: UTF8.self))")
            #expect(CanonicalJSON.encode(try CanonicalJSON.decode(bytes)) == bytes, "round \(round)")
            let foreign = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
            #expect(Self.agrees(value, foreign), "round \(round): \(String(decoding: bytes, as: UTF8.self))")
        }
    }

    @Test func everyNumberTheGeneratorWritesIsOneJSONNumber() {
        var generator = Generator(random: SplitMix64(seed: 6))
        for _ in 0..<2_000 {
            let text = generator.decimal()
            #expect(JSONParser.isNumber(text) && Int64(text) == nil, "\(text)")
        }
    }

    /// Text as Foundation's parser gives it back: swift-corelibs-foundation drops every
    /// U+FEFF from strings it reads (a byte order mark to it, wherever it stands), so the
    /// comparison leaves it out on both sides.
    static func scalars(_ text: String) -> [Unicode.Scalar] { text.unicodeScalars.filter { $0 != "\u{FEFF}" } }

    /// Whether Foundation read the same structure: the same strings, names, booleans, nulls
    /// and integers (decimals are compared by count only: Foundation rounds them to Double).
    static func agrees(_ value: Value, _ foreign: Any) -> Bool {
        switch value {
        case .null: return foreign is NSNull
        case .bool(let b): return (foreign as? Bool) == b
        case .int(let i): return (foreign as? NSNumber)?.int64Value == i
        case .decimal: return foreign is NSNumber
        case .string(let s): return (foreign as? String).map { scalars($0) == scalars(s) } ?? false
        case .list(let items):
            guard let array = foreign as? [Any], array.count == items.count else { return false }
            return zip(items, array).allSatisfy { agrees($0, $1) }
        case .object(let members):
            guard let dictionary = foreign as? [String: Any], dictionary.count == members.count else { return false }
            return members.allSatisfy { name, member in
                dictionary.first { scalars($0.key) == scalars(name) }.map { agrees(member, $0.value) } ?? false
            }
        case .bytes(let data):
            // Written as the tagged object {"$bytes": base64}.
            return agrees(.object([CanonicalJSON.bytesTag: .string(data.base64EncodedString())]), foreign)
        case .document(let reference):
            return agrees(.object([CanonicalJSON.documentTag: .object(reference.members)]), foreign)
        }
    }
}
