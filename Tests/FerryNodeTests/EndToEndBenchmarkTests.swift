import Foundation
import Logging
import Testing
import FerryCore
@testable import FerryBench

/// `ferry bench e2e` on a few hundred records: two real `ferry run` processes move every
/// record across the gap, and every stage the report names saw every record.
@Suite struct EndToEndBenchmarkTests {
    @Test func aSmallRunMovesEveryRecordAndReportsEachStage() throws {
        var options = EndToEndBenchmark.Options(directory: DemoTests.temporary("bench-e2e"), records: 300, executable: CrashRecoveryTests.ferry)
        options.poll = 0.2
        let result = try EndToEndBenchmark.run(options, logger: Logger(label: "test"))
        #expect(result.records == 300 && result.seconds > 0 && result.gapBytes > 0)
        #expect(result.stages.map(\.name) == ["read and map", "enqueue", "seal", "ship", "open and stage", "apply", "receipt", "delivered"])
        for stage in result.stages {
            #expect(stage.records == 300, "\(stage.name): \(stage.records)")
        }
        #expect(result.senderPeakMB > 0 && result.receiverPeakMB > 0)
        #expect(result.peerSeconds != nil, "sqlite3 is installed by Ops/install-deps.sh")
        // Only the measured flow was scheduled: the others would write the same systems.
        let topology = try String(contentsOf: options.directory.appendingPathComponent("ferry.yaml"), encoding: .utf8)
        #expect(topology.components(separatedBy: "schedule:").count == 2)
    }

    @Test func aRunWithQuarantinedRowsEndsAndCountsThem() throws {
        // Refused rows never reach the target: the run must end when every row is either
        // applied or quarantined, not wait for rows that will never come.
        var options = EndToEndBenchmark.Options(directory: DemoTests.temporary("bench-e2e-bad"), records: 200, executable: CrashRecoveryTests.ferry)
        options.badEvery = 50
        let result = try EndToEndBenchmark.run(options, logger: Logger(label: "test"))
        #expect(result.quarantined == 4)
        #expect(result.stages.first { $0.name == "apply" }?.records == 196)
    }
}
