import Foundation
import Logging
import Testing
import FerryCore
@testable import FerryAdapters
@testable import FerryNode
@testable import FerryOps
@testable import FerryBench

/// A flow between file-exchanging systems: the portal drops NDJSON exports, the approval
/// system imports CSV, across the gap, with a bad line quarantined and the rest read on.
@Suite struct FolderFlowTests {
    let directory = DemoTests.temporary("folders")

    func deployment() throws -> (Node, Node) {
        _ = try Scaffold.create(in: directory)
        let config = directory.appendingPathComponent("ferry.yaml")
        var text = try String(contentsOf: config, encoding: .utf8)
        let systems = """
            systems:
              portal:
                zone: extranet
                level: municipal
                adapter: ndjson
                options: { folder: data/portal-export }
                maps:
                  TravelApplication: { file: Mappings/foreign-affairs/portal.yaml }
              approval:
                zone: jinhong
                level: municipal
                adapter: csv
                options: { out: data/approval-import, roll_records: 4 }
                maps:
                  TravelApplication: { file: Mappings/foreign-affairs/approval.yaml }

            """
        let start = try #require(text.range(of: "systems:\n"))
        let end = try #require(text.range(of: "flows:\n"))
        text.replaceSubrange(start.lowerBound..<end.lowerBound, with: systems)
        text = text.components(separatedBy: "\n").filter { !$0.contains("progress-out") }.joined(separator: "\n")
        try Data(text.utf8).write(to: config)
        for folder in ["data/portal-export", "data/approval-import"] {
            try FileManager.default.createDirectory(at: directory.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        let loaded = try Deployment.load(config.path)
        return (try Node(deployment: loaded, name: "extranet-gw", logger: Logger(label: "test")),
            try Node(deployment: loaded, name: "jinhong-gw", logger: Logger(label: "test")))
    }

    func export(_ name: String, count: Int, from: Int) throws {
        var data = DemoData(seed: 7)
        let lines = (from..<from + count).map { index in
            let row = data.application(index: index, bad: false, base: Date(timeIntervalSince1970: 1_795_000_000)).row
            return String(decoding: CanonicalJSON.encode(.object(row.mapValues(Value.string))), as: UTF8.self)
        }
        try Data(lines.joined(separator: "\n").utf8).write(to: directory.appendingPathComponent("data/portal-export/\(name)"))
    }

    @Test func exportsDroppedAsNDJSONArriveAsCSVImports() throws {
        let (extranet, jinhong) = try deployment()
        try export("2026-11-24-1.ndjson", count: 6, from: 0)
        try export("2026-11-24-2.ndjson", count: 4, from: 6)
        let sync = try extranet.sync(flow: "applications-in")
        #expect(sync.pulled == 10 && sync.quarantined == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("data/portal-export/done").path).count == 2,
            "both exports moved to done/")
        #expect(try jinhong.receive().applied == 10)

        // What the approval system finds: CSV files of at most 4 rows, in its own dialect.
        var options = FolderAdapter.Options(format: .csv)
        options.folder = directory.appendingPathComponent("data/approval-import")
        let imports = try FolderAdapter(options: options).waitingFiles()
        #expect(imports.count == 3)
        var reader = try FolderAdapter(options: options).read(since: nil, batchSize: 100)
        var rows: [[String: Value]] = []
        while let batch = try reader.next() { rows += batch.rows }
        #expect(rows.count == 10)
        #expect(rows.allSatisfy { ($0["XB"]?.text == "1" || $0["XB"]?.text == "2") && $0["CJRQ"]?.text?.count == 8 })

        // A broken line of an export is quarantined with its place, and the flow reads on
        // (on_malformed: stop would hold the file there instead).
        try Data("{\"app_no\":\"WB2026000099\"\n".utf8).write(to: directory.appendingPathComponent("data/portal-export/2026-11-25.ndjson"))
        let broken = try extranet.sync(flow: "applications-in")
        #expect(broken.quarantined == 1, "\(broken)")
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("data/portal-export/done/2026-11-25.ndjson").path))
    }

    @Test func adaptersCheckConnectsAndDiscoversAsTheNodeWould() throws {
        _ = try deployment()
        try export("a.ndjson", count: 1, from: 0)
        let config = directory.appendingPathComponent("ferry.yaml").path
        let probes = try AdapterTools.check(try Deployment.load(config), node: "extranet-gw", system: "portal")
        #expect(probes.map(\.entity) == ["TravelApplication"])
        #expect(probes[0].columns.contains("app_no") && probes[0].missing.isEmpty)
        // The approval system is in the other zone: this node cannot reach it, and says so.
        #expect(throws: FerryError.self) { try AdapterTools.check(try Deployment.load(config), node: "extranet-gw", system: "approval") }
        #expect(AdapterTools.types.map(\.type) == ["sqlite", "postgres", "mysql", "odbc", "ndjson", "csv", "http", "exec", "xml", "airbyte"])
    }
}
