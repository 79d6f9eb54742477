import Foundation
import Testing
import FerryCore
import FerryAdapters
@testable import FerryNode

/// The read-ahead between a sync's source and its writer, without I/O: batches come out in
/// order, a failure only after every batch read before it, the reader never runs more than
/// the buffer's depth ahead, and a stopped sync leaves no reader running.
@Suite struct MappedBatchesTests {
    /// Batches 0..<count, failing at `failAt`; counts the reads it served.
    struct Numbers: SourceReader {
        final class Reads: @unchecked Sendable {
            // @unchecked: `value` is read and written only under `lock`.
            private let lock = NSLock()
            private var value = 0
            func add() { lock.withLock { value += 1 } }
            var count: Int { lock.withLock { value } }
        }
        struct Broken: Error {}
        let count: Int
        var failAt: Int?
        let reads: Reads
        var at = 0

        mutating func next() throws -> SourceBatch? {
            reads.add()
            guard at < count else { return nil }
            if at == failAt { throw Broken() }
            defer { at += 1 }
            return SourceBatch(rows: [["n": .string("\(at)")]], positions: ["\(at)"], checkpoint: "\(at)")
        }
    }

    static func batches(_ reader: Numbers, depth: Int = 2) -> MappedBatches {
        MappedBatches(reader: reader, depth: depth) { batch in MappedBatch(batch: batch, records: [], rejects: [], untriggered: 0) }
    }

    static func drain(_ batches: MappedBatches) throws -> [String] {
        var seen: [String] = []
        while let mapped = try batches.next() { seen.append(mapped.batch.checkpoint) }
        return seen
    }

    @Test(arguments: [false, true]) func batchesComeOutInSourceOrder(_ threaded: Bool) throws {
        let batches = Self.batches(Numbers(count: 50, reads: .init()))
        if threaded { batches.start() }
        defer { batches.finish() }
        #expect(try Self.drain(batches) == (0..<50).map(String.init))
    }

    @Test(arguments: [false, true]) func aFailureComesAfterEveryBatchReadBeforeIt(_ threaded: Bool) throws {
        let batches = Self.batches(Numbers(count: 50, failAt: 7, reads: .init()))
        if threaded { batches.start() }
        defer { batches.finish() }
        var seen: [String] = []
        #expect(throws: Numbers.Broken.self) { while let mapped = try batches.next() { seen.append(mapped.batch.checkpoint) } }
        #expect(seen == (0..<7).map(String.init), "the cursor may advance through batch 6, no further")
    }

    @Test func theReaderWaitsForTheWriter() throws {
        let reads = Numbers.Reads()
        let batches = Self.batches(Numbers(count: 1000, reads: reads), depth: 2)
        batches.start()
        _ = try batches.next()
        // The reader fills the buffer (one taken, two waiting) however loaded the machine is...
        let deadline = Date().addingTimeInterval(10)
        while reads.count < 1 + 2, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(reads.count == 1 + 2, "the reader ran ahead")
        // ...and then stops there, given every chance to run away.
        Thread.sleep(forTimeInterval: 0.2)
        #expect(reads.count == 1 + 2, "read \(reads.count) batches while the writer took 1")
        batches.finish()
        let after = reads.count
        Thread.sleep(forTimeInterval: 0.1)
        #expect(reads.count == after, "no read after finish()")
    }
}
