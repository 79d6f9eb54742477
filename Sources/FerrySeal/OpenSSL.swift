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


extension Array where Element == UInt8 {
    /// Appends `count` zero bytes for a C function to write over, with memset and one copy:
    /// appending `repeatElement(0, count:)` walks the bytes one by one in a debug build,
    /// which made sealing and opening a megabyte chunk take most of a debug run.
    mutating func appendZeros(_ count: Int) {
        guard count > 0 else { return }
        let zeros = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: count)
        defer { zeros.deallocate() }
        memset(zeros.baseAddress!, 0, count)
        append(contentsOf: UnsafeBufferPointer(zeros))
    }
}
