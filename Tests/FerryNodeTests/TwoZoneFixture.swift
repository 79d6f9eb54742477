import Foundation
import GRDB
import Logging
import FerryTestSupport
import FerryCore
@testable import FerryNode
@testable import FerryOps
@testable import FerryBench

/// The `ferry init` deployment (portal on the extranet, approval system on the office
/// network) with both nodes open, edited as a test needs before the nodes start.
struct TwoZoneFixture {
    let directory: URL
    let extranet: Node
    let jinhong: Node
    let portal: DatabaseQueue
    let approval: DatabaseQueue

    /// - Parameters:
    ///   - edits: changes to files of the scaffold (path → old → new) made before loading.
    ///   - store: the engine the nodes' stores run on.
    init(_ name: String, edits: [(file: String, old: String, new: String)] = [], store: StoreKind = .sqlite, prepare: (URL) throws -> Void = { _ in }) throws {
        directory = DemoTests.temporary(name)
        _ = try Scaffold.create(in: directory)
        if store == .postgres { try NodeStores.usePostgres(try StoreKind.postgresURL(name), in: directory.appendingPathComponent("ferry.yaml")) }
        for edit in edits {
            let url = directory.appendingPathComponent(edit.file)
            let text = try String(contentsOf: url, encoding: .utf8)
            guard text.contains(edit.old) else { throw FerryError(.config, "fixture edit: \(edit.old) is not in \(edit.file)") }
            try Data(text.replacingOccurrences(of: edit.old, with: edit.new).utf8).write(to: url)
        }
        try prepare(directory)
        let deployment = try Deployment.load(directory.appendingPathComponent("ferry.yaml").path)
        extranet = try Node(deployment: deployment, name: "extranet-gw", logger: Logger(label: "test"))
        jinhong = try Node(deployment: deployment, name: "jinhong-gw", logger: Logger(label: "test"))
        portal = try DatabaseQueue(path: directory.appendingPathComponent("data/portal.db").path)
        approval = try DatabaseQueue(path: directory.appendingPathComponent("data/approval.db").path)
    }

    var config: String { directory.appendingPathComponent("ferry.yaml").path }

    /// The portal's application numbers, in order.
    func applicationNumbers() throws -> [String] {
        try portal.read { db in try String.fetchAll(db, sql: "SELECT app_no FROM applications ORDER BY app_no") }
    }

    /// The approval system's value of one column per application number.
    func approvalColumn(_ column: String) throws -> [String: String?] {
        try approval.read { db in
            var out: [String: String?] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT SQBH, \(column) FROM sqsp") { out[row[0]] = row[1] as String? }
            return out
        }
    }

    /// One sync of `applications-in` and one receive on the far side.
    @discardableResult
    func hop() throws -> (sync: SyncReport, receive: ReceiveReport) {
        let sync = try extranet.sync(flow: "applications-in", flush: true)
        return (sync, try jinhong.receive())
    }

    /// Adds, in the scaffold at `directory`, another approval system `name` in `zone` (its
    /// own database, a copy of the approval mapping) and makes it the flow's `targets`.
    @discardableResult
    static func addApprovalCopy(_ name: String, zone: String, targets: [String], in directory: URL) throws -> DatabaseQueue {
        let schema = try String(contentsOf: try ScenarioFiles.root().appendingPathComponent("Ops/scenarios/foreign-affairs/systems/approval.sql"),
            encoding: .utf8)
        let database = try DatabaseQueue(path: directory.appendingPathComponent("data/\(name).db").path)
        try database.write { db in try db.execute(sql: schema) }
        let mappings = directory.appendingPathComponent("Mappings/foreign-affairs")
        let mapping = try String(contentsOf: mappings.appendingPathComponent("approval.yaml"), encoding: .utf8)
        try Data(mapping.replacingOccurrences(of: "system: approval\n", with: "system: \(name)\n")
            .replacingOccurrences(of: "mapping: approval/", with: "mapping: \(name)/").utf8).write(to: mappings.appendingPathComponent("\(name).yaml"))
        let config = directory.appendingPathComponent("ferry.yaml")
        var text = try String(contentsOf: config, encoding: .utf8)
        text = text.replacingOccurrences(of: "to: [approval]", with: "to: [\(targets.joined(separator: ", "))]")
        text = text.replacingOccurrences(of: "\nflows:", with: """

              \(name):
                zone: \(zone)
                level: municipal
                adapter: sqlite
                options: { path: data/\(name).db }
                maps:
                  TravelApplication: { file: Mappings/foreign-affairs/\(name).yaml, options: { table: sqsp, cursor: SPSJ } }

            flows:
            """)
        try Data(text.utf8).write(to: config)
        return database
    }
}
