import Foundation
import Testing
import FerryTestSupport

/// `ferry mapping` as an integration engineer runs it, on the shipped Mappings/ folder.
@Suite struct MappingCommandTests {
    static let mappings = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Mappings")

    func ferry(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try ProcessRun.capture(CrashRecoveryTests.ferry, arguments)
    }

    @Test func applyStreamsGoodLinesAndSetsAsideBadOnesWithReasons() throws {
        let directory = DemoTests.temporary("apply")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let good = #"{"app_no":"WB2026000001","applicant_name":" 王伟 ","id_card":"350203198001010013","sex":"M","employer_uscc":"91350200MA2YH12349","destinations":"AU;US","depart_on":"2026-03-01","return_on":"2026-03-10","purpose":"商务","updated_at":"2026-02-01 09:30:00"}"#
        let badID = good.replacingOccurrences(of: "350203198001010013", with: "350203198001010010")
            .replacingOccurrences(of: "WB2026000001", with: "WB2026000002")
        try Data([good, badID, "{not json", good].joined(separator: "\n").utf8).write(to: directory.appendingPathComponent("in.ndjson"))
        let run = try ferry(["mapping", "apply", "--mapping", Self.mappings.appendingPathComponent("foreign-affairs/portal.yaml").path,
            "--in", directory.appendingPathComponent("in.ndjson").path, "--out", directory.appendingPathComponent("out.ndjson").path,
            "--rejects", directory.appendingPathComponent("rejects.ndjson").path])
        #expect(run.status == 2, "rejects make the exit status 2: \(run.output)")
        #expect(run.output.contains("4 lines: 2 mapped, 2 rejected"))
        let out = try String(contentsOf: directory.appendingPathComponent("out.ndjson"), encoding: .utf8).split(separator: "\n")
        #expect(out.count == 2 && out.allSatisfy { $0.contains(#""gender":"male""#) && $0.contains(#""destinations":["AUS","USA"]"#) })
        let rejects = try String(contentsOf: directory.appendingPathComponent("rejects.ndjson"), encoding: .utf8).split(separator: "\n")
        #expect(rejects.count == 2)
        #expect(rejects[0].contains(#""line":2"#) && rejects[0].contains("cn_resident_id") && !rejects[0].contains("350203198001010010"))
        #expect(rejects[1].contains(#""line":3"#) && rejects[1].contains(#""rule":"json""#))

        // And back: the canonical records written in the approval system's dialect.
        let back = try ferry(["mapping", "apply", "--mapping", Self.mappings.appendingPathComponent("foreign-affairs/approval.yaml").path,
            "--direction", "write", "--in", directory.appendingPathComponent("out.ndjson").path])
        #expect(back.status == 0)
        #expect(back.output.contains(#""XB":"1""#) && back.output.contains(#""QWGJ":"036,840""#) && back.output.contains(#""CJRQ":"20260301""#))
    }

    @Test func explainAndTestDescribeTheShippedMappings() throws {
        let explain = try ferry(["mapping", "explain", Self.mappings.appendingPathComponent("foreign-affairs/approval.yaml").path])
        #expect(explain.status == 0)
        #expect(explain.output.contains("translate country.numeric (unknown: fail); split/join ','"))
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.mappings.appendingPathComponent("foreign-affairs").path)
            .filter { $0.hasSuffix(".yaml") }.map { Self.mappings.appendingPathComponent("foreign-affairs/\($0)").path }
        let test = try ferry(["mapping", "test"] + files)
        #expect(test.status == 0, "\(test.output)")
        #expect(test.output.contains(", 0 failed"))
    }
}
