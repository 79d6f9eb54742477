import Foundation
import GRDB
import Logging
import Testing
import FerryCore
import FerrySeal
@testable import FerryAdapters
@testable import FerryNode
@testable import FerryOps

/// A flow whose source is an unmodified Airbyte connector, `source-faker` from PyPI
/// (Ops/test-airbyte.sh installs it; `make test` runs that), into SQLite through a real node.
@Suite struct AirbyteTests {
    static let faker = ProcessInfo.processInfo.environment["FERRY_TEST_AIRBYTE_FAKER"].flatMap { $0.isEmpty ? nil : $0 }

    @Test(.enabled(if: faker != nil, "FERRY_TEST_AIRBYTE_FAKER is not set: run Ops/test-airbyte.sh (make test does) to install source-faker"))
    func fakerUsersArriveOnceAndASecondSyncResumesFromTheState() throws {
        let directory = try deployment(faker: try #require(Self.faker))
        let node = try Node(deployment: Deployment.load(directory.appendingPathComponent("ferry.yaml").path), name: "n", logger: Logger(label: "test"))

        let first = try node.sync(flow: "users")
        #expect(first.pulled == 1000 && first.mapped == 1000 && first.quarantined == 0, "\(first)")
        let database = try DatabaseQueue(path: directory.appendingPathComponent("data/dst.db").path)
        let landed = try database.read { db in try Row.fetchAll(db, sql: "SELECT id, name, email, age, updated_at FROM users ORDER BY id") }
        #expect(landed.count == 1000)
        #expect(landed.first?["id"] as Int64? == 1 && landed.last?["id"] as Int64? == 1000)
        #expect(landed.allSatisfy { ($0["email"] as String?)?.contains("@") == true && ($0["age"] as Int64?) != nil })

        let second = try node.sync(flow: "users")
        #expect(second.pulled == 0 && second.mapped == 0, "the stored state was handed back, so faker read nothing again: \(second)")
        let after = try database.read { db in try Row.fetchAll(db, sql: "SELECT id, name, email, age, updated_at FROM users ORDER BY id") }
        #expect(after == landed, "no duplicates and no rewrites")
    }

    @Test(.enabled(if: faker != nil, "FERRY_TEST_AIRBYTE_FAKER is not set: run Ops/test-airbyte.sh (make test does) to install source-faker"))
    func checksSeeTheConnectorsFields() throws {
        let directory = try deployment(faker: try #require(Self.faker))
        let config = directory.appendingPathComponent("ferry.yaml").path
        let report = try Deployment.load(config).check(node: "n")
        #expect(report.failures.isEmpty, "ferry check accepts an airbyte system: \(report.failures)")
        let probes = try AdapterTools.check(try Deployment.load(config), node: "n", system: "faker")
        #expect(probes.first?.columns.contains("email") == true && probes.first?.missing == [], "fields from the stream's json_schema")
    }

    @Test func anAirbyteSystemCannotBeAFlowsTarget() throws {
        let directory = try deployment(faker: "source-faker")
        let file = directory.appendingPathComponent("ferry.yaml")
        let text = try String(contentsOf: file, encoding: .utf8)
            .replacingOccurrences(of: "{ name: users, entity: User, from: faker, to: [dst] }", with: "{ name: users, entity: User, from: dst, to: [faker] }")
        try Data(text.utf8).write(to: file)
        do {
            _ = try Deployment.load(file.path)
            Issue.record("a flow into an Airbyte source connector was accepted")
        } catch let error as FerryError {
            #expect(error.message == "flow users writes to faker, but the airbyte adapter runs source connectors only")
            #expect(error.location?.description.hasSuffix("ferry.yaml:31:5") == true, "\(String(describing: error.location))")
        }
    }

    /// A one-node deployment: faker's users stream → an SQLite table.
    func deployment(faker: String) throws -> URL {
        let directory = DemoTests.temporary("airbyte")
        for folder in ["entities", "codes", "mappings", "keys", "data"] {
            try FileManager.default.createDirectory(at: directory.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        try Data("""
            entity: User
            key: [id]
            version: updated_at
            fields:
              id:         { type: int, required: true }
              name:       { type: string, personal: true }
              email:      { type: string, personal: true }
              age:        { type: int }
              updated_at: { type: timestamp, required: true }
            """.utf8).write(to: directory.appendingPathComponent("entities/user.yaml"))
        for system in ["faker", "dst"] {
            try Data("""
                system: \(system)
                entity: User
                unmapped_fields: drop
                fields:
                  id:         { column: id }
                  name:       { column: name }
                  email:      { column: email }
                  age:        { column: age }
                  updated_at: { column: updated_at }
                """.utf8).write(to: directory.appendingPathComponent("mappings/\(system).yaml"))
        }
        _ = try NodeKey.generate(node: "n").write(to: directory.appendingPathComponent("keys"), name: "n")
        try DatabaseQueue(path: directory.appendingPathComponent("data/dst.db").path).write { db in
            try db.execute(sql: "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT, age INTEGER, updated_at TEXT NOT NULL)")
        }
        try Data("""
            title: Airbyte source-faker into SQLite
            codes: codes
            zones:
              z: { title: one zone }
            nodes:
              n: { zone: z, store: sqlite:state/n.db, key: keys/n.key }
            trust:
              n: keys/n.pub
            entities:
              User: entities/user.yaml
            systems:
              faker:
                zone: z
                level: municipal
                adapter: airbyte
                options:
                  command: \(faker)
                  config: { count: 1000, seed: 42, always_updated: false, parallelism: 1 }
                  stream: users
                  timeout: 120
                maps:
                  User: { file: mappings/faker.yaml }
              dst:
                zone: z
                level: municipal
                adapter: sqlite
                options: { path: data/dst.db, table: users, cursor: updated_at }
                maps:
                  User: { file: mappings/dst.yaml }
            flows:
              - { name: users, entity: User, from: faker, to: [dst] }
            """.utf8).write(to: directory.appendingPathComponent("ferry.yaml"))
        return directory
    }
}
