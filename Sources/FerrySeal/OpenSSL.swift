import CFerryOpenSSL
public import FerryCore

extension FerryError.Code {
    public static let crypto: Self = "crypto"
}

/// Turns OpenSSL's failure state into a `FerryError`; the queue is drained so a later
/// call never reports a stale error. OpenSSL's reason strings carry no key material.
func cryptoFailure(_ operation: String) -> FerryError {
    var reasons: [String] = []
    while case let code = ERR_get_error(), code != 0 {
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
    let detail = reasons.isEmpty ? "" : " (\(reasons.joined(separator: "; ")))"
    return FerryError(.crypto, "\(operation) failed\(detail)")
}

@inline(__always)
func check(_ result: Int32, _ operation: String) throws {
    if result <= 0 { throw cryptoFailure(operation) }
}

/// Cryptographically secure random bytes from OpenSSL's DRBG.
public func randomBytes(_ count: Int) throws -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    try check(RAND_bytes(&bytes, Int32(count)), "random generation")
    return bytes
}

/// Hex text of bytes, lowercase.
public func hex(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// Bytes from hex text, or nil if it is not hex.
public func unhex(_ text: String) -> [UInt8]? {
    let chars = Array(text.utf8)
    guard chars.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    out.reserveCapacity(chars.count / 2)
    func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: return nil
        }
    }
    var index = 0
    while index < chars.count {
        guard let high = nibble(chars[index]), let low = nibble(chars[index + 1]) else { return nil }
        out.append(high << 4 | low)
        index += 2
    }
    return out
}
