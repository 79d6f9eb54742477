import Foundation
import Testing
import FerryCore
import FerryAdapters
@testable import FerryNode
@testable import FerryOps

/// `ferry check` and sync must agree on which adapter types exist: check once refused every
/// topology with an `http` system ("not available in this build") that sync ran fine.
@Suite struct RealWorldAdapterTypesTests {
    /// A scaffolded deployment whose approval system is of `type` with `options`.
    func deployment(type: String, options: String) throws -> URL {
        let directory = DemoTests.temporary("types")
        _ = try Scaffold.create(in: directory)
        let config = directory.appendingPathComponent("ferry.yaml")
        let text = try String(contentsOf: config, encoding: .utf8)
        let start = try #require(text.range(of: "  approval:\n"))
        let end = try #require(text.range(of: "\nflows:"))
        let approval = """
              approval:
                zone: jinhong
                level: municipal
                adapter: \(type)
                options: \(options)
                maps:
                  TravelApplication: Mappings/foreign-affairs/approval.yaml
                  PassportStatus:    Mappings/foreign-affairs/approval-status.yaml

            """
        try Data(text.replacingCharacters(in: start.lowerBound..<end.lowerBound, with: approval).utf8).write(to: config)
        return config
    }

    @Test func aTopologyWithAnHTTPSystemPassesCheckAsItSyncs() throws {
        let config = try deployment(type: "http", options: #"{ url: "https://approval.example.gov.cn/api/sqsp", items: data, paging: page, cursor: SPSJ }"#)
        let loaded = try Deployment.load(config.path)
        let report = try loaded.check()
        #expect(report.passed, "\(report.failures)")

        // The same system builds the adapter sync uses.
        let system = try #require(loaded.topology.system(named: "approval"))
        #expect(try AdapterRegistry.adapter(for: system, entity: "TravelApplication", topology: loaded.topology) is HTTPAdapter)

        let process = Process()
        process.executableURL = CrashRecoveryTests.ferry
        process.arguments = ["check", "--config", config.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)")
        #expect(output.contains("check passed"))
    }

    /// Every type `ferry adapters list` shows passes the topology loader's list and reaches
    /// its own options parser in check: with no options it may be refused for a missing
    /// option, never as an unknown type.
    @Test(arguments: AdapterRegistry.known) func checkKnowsEveryAdapterTypeTheBuildLists(type: String) throws {
        let config = try deployment(type: type, options: "{}")
        do {
            _ = try Deployment.load(config.path).check()
        } catch let error as FerryError {
            #expect(!error.message.contains("not available in this build") && !error.message.contains("unknown adapter"), "\(type): \(error)")
        }
    }

    @Test func anUnknownTypeIsStillRefusedAtItsLine() throws {
        let config = try deployment(type: "ftp", options: "{}")
        #expect {
            _ = try Deployment.load(config.path).check()
        } throws: { error in
            guard let error = error as? FerryError else { return false }
            return error.message.contains("unknown adapter 'ftp'") && error.location?.description.contains("ferry.yaml:") == true
        }
    }
}
