extension JSONParser {
    /// A string (RFC 8259 §7) starting at the quote at `index`; leaves `index` after the
    /// closing quote. Its bytes are checked to be UTF-8 as they are read (§8.1), so the
    /// `String` is built from them exactly, never with replacement characters.
    mutating func string() throws(Failure) -> String {
        let open = index
        index += 1
        var out: [UInt8] = []
        var escaped = false
        // Bytes from `run` to `index` are plain text not yet copied to `out`.
        var run = index
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                let end = index
                index += 1
                guard escaped else { return String(decoding: bytes[run..<end], as: UTF8.self) }
                out.append(contentsOf: bytes[run..<end])
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                out.append(contentsOf: bytes[run..<index])
                escaped = true
                try escape(into: &out)
                run = index
            case 0x00..<0x20:
                throw Failure(code: .jsonString, offset: index,
                    reason: "control character U+\(Self.hex(UInt32(byte), width: 4)) inside a string; RFC 8259 §7 requires it escaped as \(Self.escapeName(byte))")
            case 0x80...:
                index += try Self.utf8Length(bytes, at: index)
            default:
                index += 1
            }
        }
        throw Failure(code: .jsonSyntax, offset: open, reason: "a string opened here is never closed")
    }

    /// How §7 spells a control character: `\n`, or `\u001F`.
    static func escapeName(_ byte: UInt8) -> String {
        switch byte {
        case 0x08: return "\\b"
        case 0x09: return "\\t"
        case 0x0A: return "\\n"
        case 0x0C: return "\\f"
        case 0x0D: return "\\r"
        default: return "\\u\(hex(UInt32(byte), width: 4))"
        }
    }

    /// One escape starting at the backslash at `index`, its character appended to `out` as
    /// UTF-8. §7 allows exactly `\" \\ \/ \b \f \n \r \t` and `\uXXXX`.
    mutating func escape(into out: inout [UInt8]) throws(Failure) {
        let start = index
        guard index + 1 < bytes.count else { throw Failure(code: .jsonSyntax, offset: start, reason: "the text ends inside an escape") }
        let byte = bytes[index + 1]
        index += 2
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(byte)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            let scalar = try unicodeEscape(at: start)
            UTF8.encode(scalar) { out.append($0) }
        default:
            throw Failure(code: .jsonString, offset: start,
                reason: "unknown escape: '\\' followed by \(describe(at: start + 1)); RFC 8259 §7 allows only \\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX")
        }
    }

    /// The character of a `\uXXXX` escape whose backslash is at `start` (`index` is past the
    /// `u`). A character beyond U+FFFF takes two escapes, a high surrogate D800–DBFF then a
    /// low one DC00–DFFF (§7); anything else with a surrogate in it names no character
    /// (§8.2) and is refused.
    mutating func unicodeEscape(at start: Int) throws(Failure) -> Unicode.Scalar {
        let unit = try hex4()
        let written = "\\u\(Self.hex(unit, width: 4))"
        if (0xDC00...0xDFFF).contains(unit) {
            throw Failure(code: .jsonString, offset: start,
                reason: "\(written) is a low surrogate with no high surrogate before it, so it names no character (RFC 8259 §8.2)")
        }
        guard (0xD800...0xDBFF).contains(unit) else {
            // Every other value of four hex digits is a Unicode scalar.
            guard let scalar = Unicode.Scalar(unit) else { throw Failure(code: .jsonString, offset: start, reason: "\(written) names no character") }
            return scalar
        }
        let pairing = "a high surrogate \(written) must be followed by a low surrogate escape \\uDC00–\\uDFFF (RFC 8259 §7)"
        guard bytes.count - index >= 2, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
            throw Failure(code: .jsonString, offset: start, reason: pairing)
        }
        index += 2
        let low = try hex4()
        guard (0xDC00...0xDFFF).contains(low) else {
            throw Failure(code: .jsonString, offset: start, reason: "\(pairing), not by \\u\(Self.hex(low, width: 4))")
        }
        // Both ranges are checked, so this is within U+10000–U+10FFFF.
        let value = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
        guard let scalar = Unicode.Scalar(value) else { throw Failure(code: .jsonString, offset: start, reason: pairing) }
        return scalar
    }

    /// Four hex digits, either case (§7).
    mutating func hex4() throws(Failure) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard index < bytes.count else { throw Failure(code: .jsonSyntax, offset: index, reason: "the text ends inside a \\u escape") }
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
            case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
            default:
                throw Failure(code: .jsonString, offset: index,
                    reason: "\(describe(at: index)) in a \\u escape, which takes exactly four hex digits (RFC 8259 §7)")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    /// The length of the well-formed UTF-8 sequence that starts at `offset`, by RFC 3629 §4
    /// (the table of Unicode §3.9, D92): no overlong forms, no surrogates, nothing beyond
    /// U+10FFFF, no sequence cut short.
    static func utf8Length(_ bytes: [UInt8], at offset: Int) throws(Failure) -> Int {
        let lead = bytes[offset]
        let length: Int
        // The range the second byte must fall in; later bytes are always 80–BF.
        let second: ClosedRange<UInt8>
        switch lead {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: (length, second) = (2, 0x80...0xBF)
        case 0xE0: (length, second) = (3, 0xA0...0xBF)
        case 0xE1...0xEC, 0xEE...0xEF: (length, second) = (3, 0x80...0xBF)
        case 0xED: (length, second) = (3, 0x80...0x9F)
        case 0xF0: (length, second) = (4, 0x90...0xBF)
        case 0xF1...0xF3: (length, second) = (4, 0x80...0xBF)
        case 0xF4: (length, second) = (4, 0x80...0x8F)
        default: throw notUTF8(lead, at: offset)
        }
        guard bytes.count - offset >= length, second.contains(bytes[offset + 1]) else { throw notUTF8(lead, at: offset) }
        for next in offset + 2..<offset + length where !(0x80...0xBF).contains(bytes[next]) { throw notUTF8(lead, at: offset) }
        return length
    }

    static func notUTF8(_ lead: UInt8, at offset: Int) -> Failure {
        Failure(code: .jsonEncoding, offset: offset,
            reason: "not UTF-8 text: byte 0x\(hex(UInt32(lead), width: 2)) starts no valid UTF-8 sequence (RFC 8259 §8.1)")
    }
}
