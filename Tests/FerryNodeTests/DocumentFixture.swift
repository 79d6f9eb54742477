import Foundation
import GRDB
import Logging
import FerryTestSupport
import FerryCore
import FerrySeal
@testable import FerryNode
@testable import FerryOps
@testable import FerryBench

/// `DocumentScenario` with both nodes open, for tests.
struct DocumentFixture {
    let directory: URL
    let extranet: Node
    let jinhong: Node
    let library: DatabaseQueue

    /// - Parameters are `DocumentScenario.create`'s.
    ///   - store: the engine the nodes' stores run on.
    init(_ name: String, channel: String = "", extranetNode: String = "", jinhongNode: String = "", libraryScan: String = "",
        store: StoreKind = .sqlite) throws {
        directory = DemoTests.temporary(name)
        try DocumentScenario.create(in: directory, channel: channel, extranetNode: extranetNode, jinhongNode: jinhongNode, libraryScan: libraryScan)
        if store == .postgres { try NodeStores.usePostgres(try StoreKind.postgresURL(name), in: directory.appendingPathComponent("ferry.yaml")) }
        library = try DatabaseQueue(path: directory.appendingPathComponent("data/library.db").path)
        let deployment = try Deployment.load(directory.appendingPathComponent("ferry.yaml").path)
        extranet = try Node(deployment: deployment, name: "extranet-gw", logger: Logger(label: "test"))
        jinhong = try Node(deployment: deployment, name: "jinhong-gw", logger: Logger(label: "test"))
    }

    /// A PDF-like file of `size` bytes in the export folder.
    @discardableResult
    func pdf(_ name: String, size: Int, seed: UInt64 = 1) throws -> URL {
        let url = directory.appendingPathComponent("data/registry-export/\(name)")
        try DocumentScenario.pdf(at: url, size: size, seed: seed)
        return url
    }

    /// Drops an export file of certificates, each naming its scan.
    func export(_ name: String, _ rows: [(no: String, file: String)], issued: String = "2026-11-30T09:00:00Z") throws {
        try DocumentScenario.export(name, in: directory, rows, issued: issued)
    }

    /// The library's stored files by certificate number.
    func libraryFiles() throws -> [String: (name: String?, bytes: Data?)] {
        try library.read { db in
            var out: [String: (name: String?, bytes: Data?)] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT ZSBH, WJMC, WJ FROM licences") { out[row[0]] = (row[1], row[2]) }
            return out
        }
    }

    /// The gap's `documents` bundles the sender sealed.
    func documentBundles() throws -> [(sequence: Int64, state: String)] {
        try extranet.store.read { tx in
            try tx.db.rows(sql: "SELECT sequence, state FROM bundles_out WHERE kind = 'documents' ORDER BY sequence").map { ($0[0], $0[1]) }
        }
    }

    /// The bundle with lane sequence `sequence` waiting in the extranet→jinhong transfer area.
    func gapBundle(sequence: Int64) throws -> URL? {
        let gap = directory.appendingPathComponent("gap/extranet-to-jinhong")
        return try FileManager.default.contentsOfDirectory(at: gap, includingPropertiesForKeys: nil).first { url in
            url.pathExtension == "bundle" && (try? BundleReader.inspect(url).header.sequence) == sequence
        }
    }
}
