package import Foundation
import FerryCore

/// The parts of sealing and opening that `ferry bench seal` (in FerryBench) times apart:
/// the reader's passes and the chunk layer alone. `package`, so benchmarks see it and the
/// library's public API does not.
package enum SealProbe {
    /// Threads the chunk layer spreads over.
    package static var workers: Int { ParallelChunks.workers }

    /// Opens a sealed bundle pass by pass; returns the seconds of the crypto passes (name,
    /// signature, every chunk authenticated and decrypted to a staged file) and of
    /// decompressing and releasing the records.
    package static func openPasses(_ url: URL, recipient: NodeKey, sender: PublicKey, staging: URL) throws -> (crypto: Double, decompress: Double) {
        var reader = BundleReader(key: recipient, trust: TrustStore([sender]))
        reader.limits.stagingDirectory = staging
        let info = try BundleReader.inspect(url)
        let header = info.header
        let engine = try Suites.require(header.suite, in: "bench")
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        func fail(_ code: FerryError.Code, _ message: String, _ offset: Int64, _ hint: String) -> FerryError {
            FerryError(code, message, at: .bundle(id: url.lastPathComponent, offset: Int(offset)), hint: hint)
        }
        var clock = Stopwatch()
        try reader.verifySignature(info, suite: engine, senderKey: sender, handle: handle, url: url, fail: fail)
        guard let wrapped = info.wrappedKeys.first,
            let fileKey = try engine.unwrap(wrapped.wrapped, with: recipient, headerDigest: Hasher.digest(info.headerBytes, engine.hash))
        else { throw FerryError(.crypto, "benchmark bundle does not unwrap") }
        let staged = try reader.stage(info, suite: engine, fileKey: fileKey, handle: handle, name: url.lastPathComponent, fail: fail)
        let openCryptoSeconds = clock.lap()
        defer { try? FileManager.default.removeItem(at: staged) }
        var records = 0
        try reader.release(staged, header: info.header, onRecord: { _ in records += 1 }, fail: fail, end: info.signatureOffset)
        let decompressSeconds = clock.lap()

        return (openCryptoSeconds, decompressSeconds)
    }

    /// Chunk crypto through the writer's and reader's batch path: parallel chunks, the
    /// signed digest on one thread.
    package static func parallelThroughput(suite name: String, megabytes: Int, open: Bool) throws -> Double {
        let suite = try Suites.require(name, in: "bench")
        let chunkSize = BundleLayout.defaultChunkSize
        let fileKey = try randomBytes(32)
        let aad = try randomBytes(32)
        let tagSize = try suite.chunkCipher(fileKey: fileKey).tagSize
        let plain = (0..<ParallelChunks.batch).map { _ in Data((try? randomBytes(chunkSize)) ?? []) }
        let total = Int64((megabytes << 20) / chunkSize)
        let sealedBatch = try ParallelChunks.seal(plain, first: 0, total: total, suite: suite, fileKey: fileKey, aad: aad).map { Data($0) }
        let signed = try Hasher(suite.hash)
        var clock = Stopwatch()
        var done: Int64 = 0
        while done < total {
            let outputs: [[UInt8]]
            if open {
                for sealed in sealedBatch {
                    sealed.withUnsafeBytes { raw in
                        if suite.signsTags { signed.update(UnsafeRawBufferPointer(rebasing: raw[(raw.count - tagSize)...])) } else { signed.update(raw) }
                    }
                }
                guard case .success(let plains) = try ParallelChunks.open(sealedBatch, first: 0, total: total, suite: suite, fileKey: fileKey, aad: aad)
                else { throw FerryError(.crypto, "benchmark chunk failed to open") }
                outputs = plains
            } else {
                outputs = try ParallelChunks.seal(plain, first: 0, total: total, suite: suite, fileKey: fileKey, aad: aad)
                for sealed in outputs {
                    if suite.signsTags { signed.update(Array(sealed.suffix(tagSize))) } else { signed.update(sealed) }
                }
            }
            done += Int64(outputs.count)
        }
        _ = try signed.finish()
        return Double(done * Int64(chunkSize)) / Double(1 << 20) / clock.lap()
    }

    /// The per-chunk work of sealing or opening, without files: what the crypto layer costs
    /// on one core once disk and page-cache effects are taken out.
    package static func memoryThroughput(suite name: String, megabytes: Int, open: Bool) throws -> Double {
        let suite = try Suites.require(name, in: "bench")
        let chunkSize = BundleLayout.defaultChunkSize
        let cipher = try suite.chunkCipher(fileKey: try randomBytes(32))
        let aad = try randomBytes(32)
        let source = try randomBytes(chunkSize * 16)
        var sealedChunks: [[UInt8]] = []
        for index in 0..<16 {
            var out: [UInt8] = []
            try source[(index * chunkSize)..<((index + 1) * chunkSize)].withUnsafeBytes {
                try cipher.seal($0, counter: UInt64(index), final: false, aad: aad, into: &out)
            }
            sealedChunks.append(out)
        }
        let chunks = (megabytes << 20) / chunkSize
        let signed = try Hasher(suite.hash)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(chunkSize + 64)
        var clock = Stopwatch()
        for counter in 0..<chunks {
            buffer.removeAll(keepingCapacity: true)
            let slot = counter % 16
            if open {
                let sealed = sealedChunks[slot]
                if suite.signsTags { signed.update(Array(sealed.suffix(cipher.tagSize))) } else { signed.update(sealed) }
                let ok = try sealed.withUnsafeBytes { try cipher.open($0, counter: UInt64(slot), final: false, aad: aad, into: &buffer) }
                guard ok else { throw FerryError(.crypto, "benchmark chunk failed to open") }
            } else {
                try source[(slot * chunkSize)..<((slot + 1) * chunkSize)].withUnsafeBytes {
                    try cipher.seal($0, counter: UInt64(counter), final: false, aad: aad, into: &buffer)
                }
                if suite.signsTags { signed.update(Array(buffer.suffix(cipher.tagSize))) } else { signed.update(buffer) }
            }
        }
        _ = try signed.finish()
        return Double(chunks * chunkSize) / Double(1 << 20) / clock.lap()
    }

}
