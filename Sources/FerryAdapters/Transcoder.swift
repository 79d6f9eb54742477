import CFerryIconv
import FerryCore

/// One iconv conversion (glibc's, or libiconv on macOS), fed in pieces: a sequence split
/// across two pieces waits for the next one, and an invalid sequence stops the step where
/// it starts, so the caller can say where it was. Never substitutes a character (no
/// `//TRANSLIT`, no `//IGNORE`): what cannot be converted is reported, not replaced.
final class Transcoder {
    enum Stop: Equatable {
        /// Everything given was converted.
        case done
        /// Bytes invalid in the source encoding, or a character the target cannot represent,
        /// start at the returned offset.
        case invalid
        /// The input ends inside a multi-byte sequence; give the rest with the next piece.
        case incomplete
    }

    private let converter: UnsafeMutableRawPointer
    let from: String
    let to: String

    /// Throws a configuration error when this system's iconv has no such conversion.
    init(from: String, to: String) throws {
        guard let converter = cferry_iconv_open(to, from) else {
            throw FerryError.adapter(.configuration, "this system's iconv cannot convert \(from) to \(to)",
                hint: "install the C library's character-set modules (glibc: the gconv modules), or use another encoding")
        }
        (self.converter, self.from, self.to) = (converter, from, to)
    }

    deinit { cferry_iconv_close(converter) }

    /// Converts `input`, appending to `output`; returns how many input bytes were consumed
    /// and why it stopped.
    func convert(_ input: ArraySlice<UInt8>, into output: inout [UInt8]) -> (consumed: Int, stop: Stop) {
        guard !input.isEmpty else { return (0, .done) }
        var chunk = [UInt8](repeating: 0, count: max(64, input.count * 2 + 16))
        let outputStart = output.count
        return input.withUnsafeBufferPointer { source -> (Int, Stop) in
            var consumed = 0
            while true {
                var inPointer = UnsafeMutablePointer(mutating: source.baseAddress.map { $0 + consumed })
                    .map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: CChar.self) }
                var inLeft = source.count - consumed
                var (produced, result): (Int, Int32) = (0, 0)
                chunk.withUnsafeMutableBytes { target in
                    var outPointer = target.baseAddress?.assumingMemoryBound(to: CChar.self)
                    var outLeft = target.count
                    result = cferry_iconv_step(converter, &inPointer, &inLeft, &outPointer, &outLeft)
                    produced = target.count - outLeft
                }
                output += chunk[0..<produced]
                consumed = source.count - inLeft
                switch result {
                case CFERRY_ICONV_DONE: return (consumed, .done)
                case CFERRY_ICONV_FULL: continue
                case CFERRY_ICONV_INCOMPLETE: return (consumed, .incomplete)
                case CFERRY_ICONV_LOSSY:
                    // Some character was approximated somewhere in this piece: take none of it.
                    output.removeSubrange(outputStart...)
                    cferry_iconv_reset(converter)
                    return (0, .invalid)
                default:
                    // Invalid, lossy or failed: never pass on an approximation.
                    cferry_iconv_reset(converter)
                    return (consumed, .invalid)
                }
            }
        }
    }

    /// Back to the initial state, before a new record is converted on its own.
    func reset() { cferry_iconv_reset(converter) }
}
