import Foundation
import FerryCore

/// Seals or opens a batch of chunks on several threads, each with its own cipher context.
/// Chunks are independent (own nonce, own tag); only the signed digest and the file order
/// are sequential, and the callers keep those on one thread.
enum ParallelChunks {
    static let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
    /// Chunks per batch: enough to keep every worker busy, small enough to bound memory.
    static var batch: Int { workers * 8 }

    /// Memory that workers write disjoint slots of. Not a Swift array in a class: every
    /// element write through such a property is a modifying access of the whole array, and
    /// two threads doing that at once is a data race (ThreadSanitizer reports it), whatever
    /// indices they touch. Raw memory has no such access: each slot is written once, by the
    /// one worker that owns its index, and read only after every worker has ended.
    final class Slots<T>: @unchecked Sendable {
        private let memory: UnsafeMutableBufferPointer<T>

        init(count: Int, empty: T) {
            memory = .allocate(capacity: count)
            memory.initialize(repeating: empty)
        }

        deinit {
            memory.baseAddress?.deinitialize(count: memory.count)
            memory.deallocate()
        }

        /// Replaces slot `index`; only its owning worker calls this.
        func set(_ index: Int, _ value: T) { memory[index] = value }

        /// Every slot, once all workers have ended.
        var all: [T] { Array(memory) }
    }

    /// Runs `body(cipher, index)` for every index in `0..<count`, spread over the workers,
    /// each worker with its own cipher for `fileKey`.
    static func map<T: Sendable>(_ count: Int, suite: any CryptoSuite, fileKey: [UInt8], empty: T,
        body: @Sendable (any ChunkCipher, Int) throws -> T) throws -> [T]
    {
        let threads = min(workers, count)
        let results = Slots(count: count, empty: empty)
        let lock = NSLock()
        let failure = Slots<(any Error)?>(count: 1, empty: nil)
        DispatchQueue.concurrentPerform(iterations: threads) { worker in
            do {
                let cipher = try suite.chunkCipher(fileKey: fileKey)
                for index in stride(from: worker, to: count, by: threads) { results.set(index, try body(cipher, index)) }
            } catch {
                lock.withLock { failure.set(0, error) }
            }
        }
        if let error = failure.all[0] { throw error }
        return results.all
    }

    /// Seals `chunks`, the first being chunk `first` of `total`.
    static func seal(_ chunks: [Data], first: Int64, total: Int64, suite: any CryptoSuite, fileKey: [UInt8], aad: [UInt8]) throws -> [[UInt8]] {
        try map(chunks.count, suite: suite, fileKey: fileKey, empty: []) { cipher, index in
            let counter = first + Int64(index)
            var sealed: [UInt8] = []
            sealed.reserveCapacity(chunks[index].count + cipher.tagSize)
            try chunks[index].withUnsafeBytes {
                try cipher.seal($0, counter: UInt64(counter), final: counter == total - 1, aad: aad, into: &sealed)
            }
            return sealed
        }
    }

    /// Opens `chunks`; returns the plaintexts, or the index of the first chunk that fails.
    static func open(_ chunks: [Data], first: Int64, total: Int64, suite: any CryptoSuite, fileKey: [UInt8], aad: [UInt8]) throws
        -> Result<[[UInt8]], FailedChunk>
    {
        let plains: [[UInt8]?] = try map(chunks.count, suite: suite, fileKey: fileKey, empty: nil) { cipher, index in
            let counter = first + Int64(index)
            var plain: [UInt8] = []
            plain.reserveCapacity(chunks[index].count)
            let ok = try chunks[index].withUnsafeBytes {
                try cipher.open($0, counter: UInt64(counter), final: counter == total - 1, aad: aad, into: &plain)
            }
            return ok ? plain : nil
        }
        if let failed = plains.firstIndex(where: { $0 == nil }) { return .failure(FailedChunk(index: failed)) }
        return .success(plains.compactMap { $0 })
    }

    struct FailedChunk: Error {
        var index: Int
    }
}
