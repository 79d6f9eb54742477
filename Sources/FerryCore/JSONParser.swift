/// A JSON reader exactly as strict as RFC 8259, which keeps number text exact.
///
/// It accepts one JSON text as RFC 8259 §2 defines it (`ws value ws`, with the literals of
/// §3, objects of §4, arrays of §5, numbers of §6 and strings of §7) in UTF-8 (§8.1), and
/// refuses everything else with the byte offset of the first fault:
/// - what the grammar forbids: `+1`, `012`, `-01`, `1.`, `.5`, `2.e3`, `\x` and `\a`
///   escapes, raw control characters U+0000–U+001F inside strings (§6, §7), text after the
///   value (§2);
/// - bytes that are not UTF-8 (§8.1), including a byte order mark, which §8.1 forbids a
///   writer to add (Ferry's file readers strip one at the start of a file, so it never
///   reaches here from them);
/// - a `\u` escape of a lone surrogate, or a high surrogate not followed by a low surrogate
///   escape `\uDC00`–`\uDFFF`: §8.2 leaves the meaning of such strings unpredictable, and
///   no Swift `String` can hold them;
/// - a name repeated in one object: §4 says names SHOULD be unique and receivers disagree
///   on which value wins, so the record's meaning is unknown;
/// - nesting deeper than `maxDepth` arrays and objects (§9 lets a parser limit depth).
///
/// Numbers have no limit but the line's (§9 allows one; none is needed): integers that fit
/// in 64 bits become `.int`, every other number keeps its exact text as `.decimal`.
/// Parsing is iterative, so no input can exhaust the stack.
struct JSONParser {
    /// Arrays and objects open at once, at most. Deeper input is refused, not recursed into.
    static let maxDepth = 512

    /// Why a text was refused: a stable code, the offset of the offending byte (0-based), and
    /// what is wrong there.
    struct Failure: Error, Equatable {
        var code: FerryError.Code
        var offset: Int
        var reason: String
    }

    /// An array or object being read; members arrive one at a time.
    struct Frame {
        let isObject: Bool
        var items: [Value] = []
        var members: [String: Value] = [:]
        /// The object member whose value comes next.
        var key = ""

        mutating func add(_ value: Value) {
            if isObject { members[key] = value } else { items.append(value) }
        }

        var value: Value { isObject ? .object(members) : .list(items) }
    }

    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// The whole input as one JSON text (§2): a value with optional whitespace around it.
    mutating func parseText() throws(Failure) -> Value {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            throw Failure(code: .jsonEncoding, offset: 0, reason: "a byte order mark (EF BB BF) before the value; RFC 8259 §8.1 leaves it out of JSON text")
        }
        let value = try parseValue()
        skipWhitespace()
        guard index == bytes.count else { throw Failure(code: unexpectedCode(at: index), offset: index, reason: "\(describe(at: index)) after the value") }
        return value
    }

    /// One value and everything inside it. Open arrays and objects live on `frames`, an
    /// explicit stack, rather than on the call stack.
    mutating func parseValue() throws(Failure) -> Value {
        var frames: [Frame] = []
        while true {
            guard var value = try openValue(&frames) else { continue }
            // A complete value: add it to the innermost open container, then close every
            // container that ends right after it.
            while let last = frames.indices.last {
                frames[last].add(value)
                skipWhitespace()
                guard index < bytes.count else { throw endOfInput(frames[last].isObject ? "an object" : "an array") }
                let byte = bytes[index]
                if byte == UInt8(ascii: ",") {
                    index += 1
                    if frames[last].isObject { frames[last].key = try memberName(in: frames[last].members) }
                    break
                }
                let close = frames[last].isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
                guard byte == close else {
                    throw Failure(code: unexpectedCode(at: index), offset: index,
                        reason: "expected ',' or '\(Character(Unicode.Scalar(close)))', found \(describe(at: index))")
                }
                index += 1
                value = frames.removeLast().value
            }
            if frames.isEmpty { return value }
        }
    }

    /// Reads a scalar or an empty container and returns it; or opens a container, reads up
    /// to its first value (past the first name, in an object) and returns nil.
    mutating func openValue(_ frames: inout [Frame]) throws(Failure) -> Value? {
        skipWhitespace()
        guard index < bytes.count else { throw endOfInput(nil) }
        let byte = bytes[index]
        guard byte == UInt8(ascii: "[") || byte == UInt8(ascii: "{") else { return try scalar() }
        guard frames.count < Self.maxDepth else {
            throw Failure(code: .jsonTooDeep, offset: index, reason: "arrays and objects nested deeper than \(Self.maxDepth) levels")
        }
        index += 1
        skipWhitespace()
        if byte == UInt8(ascii: "[") {
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .list([])
            }
            frames.append(Frame(isObject: false))
        } else {
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object([:])
            }
            var frame = Frame(isObject: true)
            frame.key = try memberName(in: [:])
            frames.append(frame)
        }
        return nil
    }

    /// An object member's name and the `:` after it (§4). A name already in `members` is
    /// refused at its own offset. Swift compares `String`s by canonical equivalence, so two
    /// names that differ only in Unicode normalisation would also collide: they are refused
    /// too, rather than one silently replacing the other.
    mutating func memberName(in members: [String: Value]) throws(Failure) -> String {
        skipWhitespace()
        guard index < bytes.count else { throw endOfInput("an object") }
        guard bytes[index] == UInt8(ascii: "\"") else {
            throw Failure(code: unexpectedCode(at: index), offset: index, reason: "expected a member name in double quotes, found \(describe(at: index))")
        }
        let start = index
        let name = try string()
        if let earlier = members.index(forKey: name) {
            let shown = Self.quoted(name)
            let reason = members[earlier].key.utf8.elementsEqual(name.utf8)
                ? "duplicate name \(shown) in one object"
                : "duplicate name \(shown) in one object (the same name as an earlier one in another Unicode normalisation)"
            throw Failure(code: .jsonDuplicateKey, offset: start, reason: reason)
        }
        skipWhitespace()
        guard index < bytes.count else { throw endOfInput("an object") }
        guard bytes[index] == UInt8(ascii: ":") else {
            throw Failure(code: unexpectedCode(at: index), offset: index,
                reason: "expected ':' after the name \(Self.quoted(name)), found \(describe(at: index))")
        }
        index += 1
        return name
    }

    /// A string, a literal or a number starting at `index`.
    mutating func scalar() throws(Failure) -> Value {
        switch bytes[index] {
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        case UInt8(ascii: "+"):
            throw Failure(code: .jsonSyntax, offset: index, reason: "a number must not start with '+' (RFC 8259 §6)")
        case UInt8(ascii: "."):
            throw Failure(code: .jsonSyntax, offset: index, reason: "a number needs a digit before its decimal point (RFC 8259 §6)")
        default:
            throw Failure(code: unexpectedCode(at: index), offset: index,
                reason: "expected a value, found \(describe(at: index))")
        }
    }

    /// `true`, `false` or `null`, spelled exactly (§3).
    mutating func literal(_ word: StaticString) throws(Failure) {
        let start = index
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard bytes.count - index >= expected.count, bytes[index..<index + expected.count].elementsEqual(expected) else {
            throw Failure(code: .jsonSyntax, offset: start, reason: "expected \(word)")
        }
        index += expected.count
    }

    /// A number (§6): `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    mutating func number() throws(Failure) -> Value {
        let start = index
        let scan = bytes.withUnsafeBufferPointer { Self.scanNumber($0, from: start) }
        switch scan {
        case .failure(let offset, let reason):
            throw Failure(code: .jsonSyntax, offset: offset, reason: reason)
        case .number(let end, let isInteger):
            index = end
            let text = String(decoding: bytes[start..<end], as: UTF8.self)
            if isInteger, let int = Int64(text) { return .int(int) }
            return .decimal(text)
        }
    }

    mutating func skipWhitespace() {
        // §2: only space, tab, line feed and carriage return.
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    func endOfInput(_ inside: String?) -> Failure {
        Failure(code: .jsonSyntax, offset: bytes.count, reason: inside.map { "the text ends inside \($0)" } ?? "the text ends where a value should be")
    }

    /// Bytes that are not UTF-8 are an encoding fault; anything else out of place is syntax.
    func unexpectedCode(at offset: Int) -> FerryError.Code {
        bytes[offset] >= 0x80 && (try? Self.utf8Length(bytes, at: offset)) == nil ? .jsonEncoding : .jsonSyntax
    }

    /// The byte at `offset` for a message: `'x'`, a character as `'王' (U+738B)`, or a byte
    /// that starts no UTF-8 character as `byte 0xFF (not UTF-8)`.
    func describe(at offset: Int) -> String {
        guard offset < bytes.count else { return "the end of the text" }
        let byte = bytes[offset]
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        if byte < 0x80 { return "U+\(Self.hex(UInt32(byte), width: 4))" }
        guard let length = try? Self.utf8Length(bytes, at: offset) else {
            return "byte 0x\(Self.hex(UInt32(byte), width: 2)) (not UTF-8)"
        }
        let text = String(decoding: bytes[offset..<offset + length], as: UTF8.self)
        let scalar = text.unicodeScalars.first?.value ?? 0
        if scalar == 0xFEFF { return "a byte order mark (U+FEFF)" }
        return "'\(text)' (U+\(Self.hex(scalar, width: 4)))"
    }

    static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// A name for a message: JSON-quoted, so control characters show as escapes, and cut
    /// at 64 characters.
    static func quoted(_ name: String) -> String {
        let shown = name.count > 64 ? String(name.prefix(64)) + "…" : name
        var out: [UInt8] = []
        CanonicalJSON.writeString(shown, into: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

extension FerryError.Code {
    /// Input that is not JSON by RFC 8259's grammar (§2–§6).
    public static let jsonSyntax: Self = "json.syntax"
    /// A string with an unknown escape, a raw control character or a lone surrogate (§7, §8.2).
    public static let jsonString: Self = "json.string"
    /// Bytes that are not UTF-8, or a byte order mark (§8.1).
    public static let jsonEncoding: Self = "json.encoding"
    /// A name that appears twice in one object (§4).
    public static let jsonDuplicateKey: Self = "json.duplicate-key"
    /// Arrays and objects nested deeper than the reader allows (§9).
    public static let jsonTooDeep: Self = "json.too-deep"
}
