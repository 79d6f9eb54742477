import Foundation
import Logging
import Testing
import FerryCore
import FerryAdapters
@testable import FerryNode
@testable import FerryOps

/// How a batch a sink failed is attributed: each record gets its own outcome and its own
/// (masked) text, and a target that is down is not hammered record by record.
@Suite struct SinkAttemptTests {
    /// A sink that fails any call holding a row `fails` says is bad, quoting that row's `id`.
    final class ScriptedSink: Sink, @unchecked Sendable {
        // @unchecked: each test drives it from one thread.
        let fails: (SinkRow) -> FerryError?
        var calls: [[String]] = []

        init(fails: @escaping (SinkRow) -> FerryError?) { self.fails = fails }

        func check() throws {}

        func apply(_ rows: [SinkRow]) throws -> [SinkOutcome] {
            calls.append(rows.map { $0.key["id"]?.text ?? "" })
            for row in rows { if let error = fails(row) { throw error } }
            return rows.map { _ in .applied }
        }
    }

    static func rows(_ ids: [String]) -> [SinkRow] { ids.map { SinkRow(key: ["id": .string($0)], values: [:]) } }
    static let ids = ["350503198809141506", "110105194912310021", "11010519491231002X", "350203198001010013", "440106199001011234",
        "320102198501011236"]

    func attempt(_ sink: ScriptedSink) -> SinkAttempt { SinkAttempt(sink: sink, target: "ledger", logger: Logger(label: "test")) }

    @Test func oneBadRecordFailsAloneWithItsOwnMaskedTextAndTheOthersApply() throws {
        let bad = Self.ids[1]
        let sink = ScriptedSink { row in
            row.key["id"]?.text == bad ? .adapter(.retryable, "ledger.py exited with status 1: bad row id=\(bad) name=王伟") : nil
        }
        let results = try attempt(sink).apply(Self.rows(Self.ids), personal: Self.ids.map { [$0, $0 == bad ? "王伟" : "李娜"] })
        #expect(results.count == Self.ids.count)
        for (index, result) in results.enumerated() where index != 1 { #expect(result == .outcome(.applied)) }
        #expect(results[1] == .failed("ledger.py exited with status 1: bad row id=\(Masking.mask(bad)) name=**"))
        #expect(sink.calls.count == 1 + Self.ids.count, "the batch, then each record alone")
    }

    @Test func aRecordThatFailsAloneForGoodIsRejectedNotRetried() throws {
        let sink = ScriptedSink { row in row.key["id"]?.text == Self.ids[0] ? .adapter(.permanent, "refused \(Self.ids[0])") : nil }
        let results = try attempt(sink).apply(Self.rows(Array(Self.ids.prefix(2))), personal: [[], []])
        #expect(results == [.outcome(.rejected("refused \(Masking.mask(Self.ids[0]))")), .outcome(.applied)])
    }

    @Test func aTargetThatIsDownIsTriedAloneTwiceThenTheRestWaitWithoutRecordContent() throws {
        let sink = ScriptedSink { _ in .adapter(.retryable, "database is locked") }
        let ids = (0..<100).map { String(format: "WB%010d", $0) }
        let results = try attempt(sink).apply(Self.rows(ids), personal: ids.map { _ in [] })
        #expect(sink.calls.count == 4, "the batch, two records alone, the rest once more: \(sink.calls.map(\.count))")
        #expect(results.prefix(2).allSatisfy { $0 == .failed("database is locked") })
        let rest = "the target failed a batch of 98 records, and 2 records in a row sent alone before this one; this record was not sent "
            + "alone; they failed with: database is locked"
        #expect(results.dropFirst(2).allSatisfy { $0 == .failed(rest) })
    }

    @Test func recordsThatEachFailWithTheirOwnTextStopBeingTriedAloneAfterFourAndTheRestQuoteNone() throws {
        let sink = ScriptedSink { row in .adapter(.retryable, "cannot write id \(row.key["id"]?.text ?? "")") }
        let results = try attempt(sink).apply(Self.rows(Self.ids), personal: Self.ids.map { [$0] })
        #expect(sink.calls.count == 1 + 4 + 1)
        for (index, result) in results.enumerated() {
            guard case .failed(let reason) = result else { Issue.record("\(result)"); continue }
            for (other, id) in Self.ids.enumerated() where other != index {
                #expect(!reason.contains(Masking.mask(id)) && !reason.contains(id), "record \(index) carries record \(other)'s text: \(reason)")
            }
            if index < 4 { #expect(reason == "cannot write id \(Masking.mask(Self.ids[index]))") }
        }
    }

    @Test func aConfigurationErrorConcernsEveryRecordAndIsNotTriedAlone() throws {
        let sink = ScriptedSink { _ in .adapter(.configuration, "table sqsp does not exist") }
        let results = try attempt(sink).apply(Self.rows(Self.ids), personal: Self.ids.map { [$0] })
        #expect(sink.calls.count == 1)
        #expect(results.allSatisfy { $0 == .failed("table sqsp does not exist") })
    }

    @Test func anEmptyBatchCallsNothing() throws {
        let sink = ScriptedSink { _ in .adapter(.retryable, "down") }
        #expect(try attempt(sink).apply([], personal: []).isEmpty)
        #expect(sink.calls.isEmpty)
    }
}
