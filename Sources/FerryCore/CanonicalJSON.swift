import Foundation

/// Deterministic JSON: object keys sorted by their UTF-8 bytes, no insignificant whitespace,
/// minimal string escapes. The same record always encodes to the same bytes, on every node,
/// which is what makes digests comparable across networks.
public enum CanonicalJSON {
    public static func encode(_ value: Value) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, into: &out)
        return out
    }

    public static func write(_ value: Value, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .bool(let b): out.append(contentsOf: b ? Array("true".utf8) : Array("false".utf8))
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .decimal(let d):
            // A decimal's text goes out as written when it is a JSON number (RFC 8259 §6).
            // Text that is not one ("NaN", "inf", "+1", ".5", from a system's own spelling)
            // would make the line invalid JSON: it goes out as a string, every character kept.
            if JSONParser.isNumber(d) { out.append(contentsOf: d.utf8) } else { writeString(d, into: &out) }
        case .string(let s): writeString(s, into: &out)
        case .list(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            for (index, member) in sorted.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(member.value, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        case .bytes(let data):
            // JSON has no binary type: tagged objects, which only a record envelope reads
            // back as typed values (docs/bundle-format.md, "kind: records").
            write(.object([bytesTag: .string(data.base64EncodedString())]), into: &out)
        case .document(let reference):
            write(.object([documentTag: .object(reference.members)]), into: &out)
        }
    }

    /// The member name of a `bytes` value's tagged object: `{"$bytes":"<base64>"}`.
    public static let bytesTag = "$bytes"
    /// The member name of a document reference's tagged object: `{"$document":{…}}`.
    public static let documentTag = "$document"

    /// `value` with tagged objects read back as the `bytes` and `document` values they
    /// encode, at any depth of lists; an object that is not exactly one well-formed tag stays
    /// an object.
    public static func untagged(_ value: Value) -> Value {
        switch value {
        case .list(let items): return .list(items.map(untagged))
        case .object(let members) where members.count == 1:
            if case .string(let text)? = members[bytesTag], let data = Data(base64Encoded: text) { return .bytes(data) }
            if case .object(let fields)? = members[documentTag], let reference = DocumentRef(members: fields) { return .document(reference) }
            return value
        default: return value
        }
    }

    /// `s` as a JSON string: runs of bytes that need no escape are copied whole (most text
    /// has none), and `"`, `\` and the C0 controls are escaped (RFC 8259 §7; `\n`, `\r` and
    /// `\t` by name, the others as `\u00XX`).
    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var text = s
        text.withUTF8 { bytes in
            var start = 0
            for index in bytes.indices {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                writeEscape(byte, into: &out)
                start = index + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func writeEscape(_ byte: UInt8, into out: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
        case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
        case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
        case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
        case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
        default:
            let hex = Array("0123456789abcdef".utf8)
            out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
        }
    }

    /// Parses one JSON text, exactly as strict as RFC 8259 (see `JSONParser` for every rule
    /// and the section it comes from). Integers that fit in 64 bits become `.int`; other
    /// numbers keep their exact text as `.decimal`.
    ///
    /// - Throws: `FerryError` with a `json.*` code (`json.syntax`, `json.string`,
    ///   `json.encoding`, `json.duplicate-key`, `json.too-deep`) and a message that starts
    ///   `invalid JSON at byte N:` (N counted from 0) and says what is wrong there.
    public static func decode(_ bytes: some Collection<UInt8>) throws -> Value {
        try decode(bytes, location: nil)
    }

    /// Parses one JSON text that is line `line` of `file` (an NDJSON line, say); a refusal
    /// also carries `file:line:column`, the column counted in characters from 1 as editors
    /// show it.
    public static func decode(_ bytes: some Collection<UInt8>, file: String, line: Int) throws -> Value {
        try decode(bytes, location: (file, line))
    }

    static func decode(_ bytes: some Collection<UInt8>, location: (file: String, line: Int)?) throws -> Value {
        var parser = JSONParser(bytes: Array(bytes))
        do {
            return try parser.parseText()
        } catch {
            let at = location.map { place in
                // Everything before a fault is UTF-8, so counting lead bytes counts characters.
                let column = parser.bytes.prefix(error.offset).reduce(1) { $1 & 0xC0 == 0x80 ? $0 : $0 + 1 }
                return FerryError.Location.file(SourceLocation(file: place.file, line: place.line, column: column))
            }
            throw FerryError(error.code, "invalid JSON at byte \(error.offset): \(error.reason)", at: at, hint: hint(error.code))
        }
    }

    static func hint(_ code: FerryError.Code) -> String? {
        switch code {
        case .jsonEncoding: return "convert the file to UTF-8 (for GB18030: iconv -f GB18030 -t UTF-8), without a byte order mark inside the text"
        case .jsonDuplicateKey: return "each name may appear once in an object; which of the values is meant cannot be known, so fix it at the source"
        case .jsonTooDeep: return "a record nests at most \(JSONParser.maxDepth) arrays and objects"
        default: return nil
        }
    }
}
