import Foundation
import FerryCore
import FerryMapping
import FerryAdapters

/// One source batch read and mapped: the records to enqueue and the rows refused, with the
/// batch itself, whose checkpoint commits with them.
struct MappedBatch {
    typealias Reject = (key: String, issues: [MappingIssue], position: String, row: [String: Value])
    var batch: SourceBatch
    var records: [FerryCore.Record]
    var rejects: [Reject]
    /// Changes a trigger read that matched none of its conditions.
    var untriggered: Int
}

/// A flow's source batches, read and mapped ahead of the writer on a thread of their own:
/// the read and the mapping of batch n+1 run while batch n is enqueued, so one sync keeps
/// two cores busy instead of one. At most `depth` mapped batches wait (and one more is being
/// mapped); a writer that falls behind holds the reader back instead of growing memory.
///
/// Batches come out in source order, and a failure comes out after every batch read before
/// it, so the cursor advances exactly as far as a sequential sync's would.
final class MappedBatches: @unchecked Sendable {
    // @unchecked: the fields under "shared" are read and written only while `condition` is
    // locked. `reader` and `map` are used by one thread at a time: the producer's once
    // `start()` has run (until `finish()` has waited for it to end), the caller's otherwise.
    private let condition = NSCondition()
    // shared
    private var ready: [MappedBatch] = []
    private var failure: (any Error)?
    private var drained = false
    private var stopped = false
    private var producing = false
    // the producer's; nil once `finish()` has let it go, on the caller's thread
    private var reader: (any SourceReader)?
    private let map: (SourceBatch) throws -> MappedBatch
    private let depth: Int
    private var threaded = false

    init(reader: any SourceReader, depth: Int = 2, map: @escaping (SourceBatch) throws -> MappedBatch) {
        self.reader = reader
        self.depth = max(1, depth)
        self.map = map
    }

    /// Starts reading and mapping on a thread of its own. Without it, `next()` reads and
    /// maps on the caller's thread (what a flow whose mapping writes to the store needs).
    func start() {
        (threaded, producing) = (true, true)
        let thread = Thread { [self] in produce() }
        // Foundation's default on Linux is 512 KiB; a mapping's recursion over nested values
        // and a driver's own frames are safer with the main thread's size.
        thread.stackSize = 8 << 20
        thread.name = "ferry.sync.map"
        thread.start()
    }

    /// The next mapped batch in source order; nil once the source is drained.
    /// - Throws: the reader's or the mapping's error, after every batch read before it.
    func next() throws -> MappedBatch? {
        guard threaded else { return try reader?.next().map(map) }
        condition.lock()
        defer { condition.unlock() }
        while ready.isEmpty, !drained, failure == nil { condition.wait() }
        if !ready.isEmpty {
            condition.broadcast()
            return ready.removeFirst()
        }
        if let failure { throw failure }
        return nil
    }

    /// Stops the producer and waits until it has left the reader: call it on every way out
    /// of the sync, so the source's connection is never used after the sync returns.
    func finish() {
        condition.lock()
        stopped = true
        condition.broadcast()
        while producing { condition.wait() }
        condition.unlock()
        // Closed here, not wherever the last reference happens to drop (the producer thread).
        reader = nil
    }

    private func produce() {
        while true {
            condition.lock()
            while ready.count >= depth, !stopped { condition.wait() }
            let stop = stopped
            condition.unlock()
            if stop { break }
            let outcome = Result { try reader?.next().map(map) }
            condition.lock()
            switch outcome {
            case .success(let batch?): ready.append(batch)
            case .success(nil): drained = true
            case .failure(let error): failure = error
            }
            let done = drained || failure != nil
            condition.broadcast()
            condition.unlock()
            if done { break }
        }
        condition.lock()
        producing = false
        condition.broadcast()
        condition.unlock()
    }
}

/// A source reader whose errors are masked as every source's are (`Node.fromSource`): their
/// text comes from outside Ferry and may quote a row. The mapping's own errors are not.
struct SourceErrorsMasked: SourceReader {
    var reader: any SourceReader

    mutating func next() throws -> SourceBatch? {
        try Node.fromSource { try reader.next() }
    }
}
