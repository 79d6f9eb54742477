extension JSONParser {
    /// Where a number ends, or where and why it is not one.
    enum NumberScan: Equatable {
        case number(end: Int, isInteger: Bool)
        case failure(offset: Int, reason: String)
    }

    /// Scans the number starting at `start` by RFC 8259 §6:
    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, stopping at the first byte
    /// that cannot continue it. So `+1`, `012`, `-01`, `1.`, `.5` and `2.e3` are refused.
    static func scanNumber(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> NumberScan {
        var i = start
        func isDigit(_ at: Int) -> Bool { at < bytes.count && bytes[at] >= 0x30 && bytes[at] <= 0x39 }
        func skipDigits() { while isDigit(i) { i += 1 } }
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard isDigit(i) else {
            return .failure(offset: i, reason: i > start ? "a digit must follow '-' (RFC 8259 §6)" : "a number starts with '-' or a digit (RFC 8259 §6)")
        }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
            if isDigit(i) { return .failure(offset: i - 1, reason: "a number must not have a leading zero (RFC 8259 §6)") }
        } else {
            skipDigits()
        }
        var isInteger = true
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            isInteger = false
            i += 1
            guard isDigit(i) else { return .failure(offset: i, reason: "a digit must follow the decimal point (RFC 8259 §6)") }
            skipDigits()
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            isInteger = false
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard isDigit(i) else { return .failure(offset: i, reason: "a digit must follow the exponent's 'e' (RFC 8259 §6)") }
            skipDigits()
        }
        return .number(end: i, isInteger: isInteger)
    }

    /// Whether `text` is exactly one JSON number (§6), nothing before or after it.
    static func isNumber(_ text: String) -> Bool {
        func whole(_ buffer: UnsafeBufferPointer<UInt8>) -> Bool {
            guard case .number(let end, _) = scanNumber(buffer, from: 0) else { return false }
            return end == buffer.count
        }
        if let answer = text.utf8.withContiguousStorageIfAvailable(whole) { return answer }
        return Array(text.utf8).withUnsafeBufferPointer(whole)
    }
}
