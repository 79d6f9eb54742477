import CFerryOpenSSL
import FerryCore

/// HMAC (RFC 2104) under one key, for digesting many messages: the key's inner and outer
/// digest states are computed once, and each message is hashed on a copy of them.
/// Digesting a record and its key one at a time through the one-shot `HMAC()` spent most of
/// its time fetching the algorithm and deriving the pads again.
final class KeyedMAC: @unchecked Sendable {
    // Sendable: the template context is written only in init; `mac(_:)` works on a copy.
    private let template: OpaquePointer

    /// - Parameter digest: OpenSSL's digest name, "SHA256" or "SM3".
    /// - Returns: nil when the provider lacks the digest.
    init?(digest: String, key: [UInt8]) {
        guard let context = key.withUnsafeBufferPointer({ cferry_hmac_keyed(digest, $0.baseAddress, $0.count) }) else { return nil }
        template = context
    }

    deinit { EVP_MAC_CTX_free(template) }

    /// The 32-byte MAC of `message`.
    func mac(_ message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length = 0
        let ok = message.withUnsafeBufferPointer { m in
            out.withUnsafeMutableBufferPointer { o in cferry_hmac_message(template, m.baseAddress, m.count, o.baseAddress, o.count, &length) }
        }
        // Cannot fail for a software digest once keyed; an empty result would never match a stored digest.
        return ok == 1 && length == 32 ? out : []
    }
}
