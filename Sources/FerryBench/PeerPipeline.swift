import Foundation
import FerryCore

/// The peer `ferry bench e2e` is measured beside: the same rows moved as an opaque file.
/// `sqlite3` exports the portal's table as CSV, the file is copied into another directory
/// (the gap), and `sqlite3 .import` loads it into an empty copy of the table, primary key
/// included. No mapping, validation, dedup, sealing or audit.
enum PeerPipeline {
    /// Seconds for export, copy and import; nil when no `sqlite3` is on the PATH.
    static func run(directory: URL, topology: Topology) throws -> Double? {
        guard let sqlite3 = PeerTool.locate("sqlite3") else { return nil }
        guard let path = topology.system(named: "portal")?.options["path"] else {
            throw FerryError(.benchmark, "the demo topology has no portal system")
        }
        let portal = URL(fileURLWithPath: try path.string("path"), relativeTo: topology.baseDirectory).path
        let peer = directory.appendingPathComponent("peer")
        let (outgoing, gap) = (peer.appendingPathComponent("out"), peer.appendingPathComponent("gap"))
        for folder in [outgoing, gap] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        let target = peer.appendingPathComponent("target.db").path
        let schema = peer.appendingPathComponent("schema.sql")
        try PeerTool.run(sqlite3, [portal, ".schema applications"], output: schema)
        try PeerTool.run(sqlite3, [target, ".read \(schema.path)"])

        let started = Date()
        let csv = outgoing.appendingPathComponent("applications.csv")
        try PeerTool.run(sqlite3, ["-csv", portal, "SELECT * FROM applications"], output: csv)
        let crossed = gap.appendingPathComponent("applications.csv")
        try FileManager.default.copyItem(at: csv, to: crossed)
        try PeerTool.run(sqlite3, [target, ".import --csv \(crossed.path) applications"])
        return Date().timeIntervalSince(started)
    }
}
