/// Byte-level constants of bundle format version 1; `docs/bundle-format.md` is the spec.
enum BundleLayout {
    static let magic: [UInt8] = Array("FERRYBDL".utf8)
    static let version: UInt16 = 1
    static let fixedPrefix = 14  // magic(8) + version(2) + header length(4)
    static let maxHeader = 1 << 20
    static let defaultChunkSize = 64 * 1024
    static let signatureContext: [UInt8] = Array("FERRY-BUNDLE-SIG-V1".utf8)

    /// 11-byte big-endian chunk counter followed by the final-chunk flag (age's STREAM).
    static func nonce(counter: UInt64, final: Bool) -> [UInt8] {
        var nonce = [UInt8](repeating: 0, count: 12)
        var value = counter
        for index in stride(from: 10, through: 3, by: -1) {
            nonce[index] = UInt8(value & 0xFF)
            value >>= 8
        }
        nonce[11] = final ? 1 : 0
        return nonce
    }

    static func chunkCount(compressedSize: Int64, chunkSize: Int) -> Int64 {
        max(1, (compressedSize + Int64(chunkSize) - 1) / Int64(chunkSize))
    }

    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
    static func read16(_ b: ArraySlice<UInt8>) -> Int { Int(b[b.startIndex]) << 8 | Int(b[b.startIndex + 1]) }
    static func read32(_ b: ArraySlice<UInt8>) -> Int {
        let s = b.startIndex
        return Int(b[s]) << 24 | Int(b[s + 1]) << 16 | Int(b[s + 2]) << 8 | Int(b[s + 3])
    }
}
