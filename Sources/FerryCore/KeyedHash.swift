/// A keyed hash (a MAC) as a value: the algorithm's name and the function, so modules that
/// digest records (FerryMapping) need no crypto library; FerrySeal makes them from a key
/// (`HMAC.keyed`). The key stays inside the function and is never shown.
public struct KeyedHash: Sendable {
    public enum Algorithm: String, Sendable, CaseIterable {
        /// HMAC-SHA256 (RFC 2104, FIPS 180-4).
        case hmacSHA256 = "hmac-sha256"
        /// HMAC-SM3 (RFC 2104, GB/T 32905).
        case hmacSM3 = "hmac-sm3"
    }

    public let algorithm: Algorithm
    private let function: @Sendable ([UInt8]) -> [UInt8]

    public init(algorithm: Algorithm, _ function: @escaping @Sendable ([UInt8]) -> [UInt8]) {
        self.algorithm = algorithm
        self.function = function
    }

    /// The MAC of `message`: 32 bytes for both algorithms.
    public func callAsFunction(_ message: [UInt8]) -> [UInt8] { function(message) }
}
