import CFerryZstd
import FerryCore

/// Streaming zstd compression: feed bytes, collect compressed output as it forms.
final class ZstdCompressor {
    private let stream: OpaquePointer
    private var output = [UInt8](repeating: 0, count: ZSTD_CStreamOutSize())

    init(level: Int32 = 3) throws {
        guard let stream = ZSTD_createCCtx() else { throw FerryError(.internalFailure, "zstd: out of memory") }
        self.stream = stream
        ZSTD_CCtx_setParameter(stream, ZSTD_c_compressionLevel, level)
        ZSTD_CCtx_setParameter(stream, ZSTD_c_checksumFlag, 1)
    }

    deinit { ZSTD_freeCCtx(stream) }

    /// Compresses `input`; `sink` receives output pieces as they are produced.
    func compress(_ input: UnsafeRawBufferPointer, end: Bool, sink: ([UInt8]) throws -> Void) throws {
        var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        let mode = end ? ZSTD_e_end : ZSTD_e_continue
        while true {
            let (remaining, produced) = try output.withUnsafeMutableBytes { raw -> (Int, Int) in
                var outBuffer = ZSTD_outBuffer(dst: raw.baseAddress, size: raw.count, pos: 0)
                let result = ZSTD_compressStream2(stream, &outBuffer, &inBuffer, mode)
                if ZSTD_isError(result) != 0 {
                    throw FerryError(.internalFailure, "zstd compress: \(String(cString: ZSTD_getErrorName(result)))")
                }
                return (result, outBuffer.pos)
            }
            if produced > 0 { try sink(Array(output.prefix(produced))) }
            let done = end ? remaining == 0 : inBuffer.pos == inBuffer.size
            if done { return }
        }
    }
}

/// Streaming zstd decompression with a hard cap on output, the zip-bomb guard.
final class ZstdDecompressor {
    private let stream: OpaquePointer
    private var output = [UInt8](repeating: 0, count: ZSTD_DStreamOutSize())
    private(set) var produced = 0
    private(set) var frameComplete = false
    let limit: Int

    init(limit: Int) throws {
        guard let stream = ZSTD_createDCtx() else { throw FerryError(.internalFailure, "zstd: out of memory") }
        self.stream = stream
        self.limit = limit
    }

    deinit { ZSTD_freeDCtx(stream) }

    enum Failure: Error {
        case corrupt(String)
        case tooLarge
    }

    func decompress(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        while inBuffer.pos < inBuffer.size || !frameComplete {
            var outPos = 0
            let result = output.withUnsafeMutableBytes { raw -> Int in
                var outBuffer = ZSTD_outBuffer(dst: raw.baseAddress, size: raw.count, pos: 0)
                let result = ZSTD_decompressStream(stream, &outBuffer, &inBuffer)
                outPos = outBuffer.pos
                return result
            }
            if ZSTD_isError(result) != 0 { throw Failure.corrupt(String(cString: ZSTD_getErrorName(result))) }
            if result == 0 { frameComplete = true }
            produced += outPos
            if produced > limit { throw Failure.tooLarge }
            if outPos > 0 { try output.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[..<outPos])) } }
            // No progress and no output: need more input.
            if outPos == 0 && inBuffer.pos == inBuffer.size { break }
            if frameComplete && inBuffer.pos < inBuffer.size {
                throw Failure.corrupt("data after the end of the compressed frame")
            }
        }
    }
}
