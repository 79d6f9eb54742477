import Foundation
import GRDB
import Logging
import FerryTestSupport
import FerryCore
@testable import FerryNode
@testable import FerryOps
@testable import FerryBench

/// Real-estate certificates (电子证照) with their scanned files: the registry on the extranet
/// drops NDJSON exports whose `file` column names a file beside them; across the gap the
/// licence library keeps each file in a BLOB column, and an archive folder gets a copy.
struct DocumentFixture {
    let directory: URL
    let extranet: Node
    let jinhong: Node
    let library: DatabaseQueue

    /// - Parameter channel: extra keys of the channel (`bundle_bytes: 1048576, resend_after: 0`).
    /// - Parameter libraryScan: extra keys of the library mapping's `scan` field (`require_signature: [extranet-gw]`).
    init(_ name: String, channel: String = "", extranetNode: String = "", libraryScan: String = "") throws {
        directory = DemoTests.temporary(name)
        _ = try Scaffold.create(in: directory)
        let config = directory.appendingPathComponent("ferry.yaml")
        var text = try String(contentsOf: config, encoding: .utf8)
        text = text.replacingOccurrences(of: "return: gap/jinhong-to-extranet }", with: "return: gap/jinhong-to-extranet\(channel.isEmpty ? "" : ", " + channel) }")
        if !extranetNode.isEmpty {
            text = text.replacingOccurrences(of: "key: keys/extranet-gw.key }", with: "key: keys/extranet-gw.key, \(extranetNode) }")
        }
        let start = try Self.range(of: "entities:\n", in: text)
        text.replaceSubrange(start.lowerBound..<text.endIndex, with: Self.deployment)
        try Data(text.utf8).write(to: config)
        var files = Self.files
        if !libraryScan.isEmpty {
            files["Mappings/documents/library.yaml"] = files["Mappings/documents/library.yaml"]?
                .replacingOccurrences(of: "name_column: WJMC }", with: "name_column: WJMC, \(libraryScan) }")
        }
        try Self.write(files, under: directory)
        for folder in ["data/registry-export", "data/archive"] {
            try FileManager.default.createDirectory(at: directory.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        library = try DatabaseQueue(path: directory.appendingPathComponent("data/library.db").path)
        try library.write { db in
            try db.execute(sql: "CREATE TABLE licences (ZSBH TEXT PRIMARY KEY, QLR TEXT, FZSJ TEXT, WJ BLOB, WJMC TEXT)")
        }
        let deployment = try Deployment.load(config.path)
        extranet = try Node(deployment: deployment, name: "extranet-gw", logger: Logger(label: "test"))
        jinhong = try Node(deployment: deployment, name: "jinhong-gw", logger: Logger(label: "test"))
    }

    static func range(of text: String, in whole: String) throws -> Range<String.Index> {
        guard let range = whole.range(of: text) else { throw FerryError(.config, "fixture: \(text) is not in ferry.yaml") }
        return range
    }

    static let deployment = """
        entities:
          Certificate: Mappings/entities/certificate.yaml

        systems:
          registry:
            zone: extranet
            level: municipal
            adapter: ndjson
            options: { folder: data/registry-export, documents: [file] }
            maps:
              Certificate: { file: Mappings/documents/registry.yaml }
          library:
            zone: jinhong
            level: municipal
            adapter: sqlite
            options: { path: data/library.db }
            maps:
              Certificate: { file: Mappings/documents/library.yaml, options: { table: licences } }
          archive:
            zone: jinhong
            level: municipal
            adapter: ndjson
            options: { out: data/archive }
            maps:
              Certificate: { file: Mappings/documents/archive.yaml }

        flows:
          - { name: certificates, entity: Certificate, from: registry, to: [library, archive] }

        """

    static let files: [String: String] = [
        "Mappings/entities/certificate.yaml": """
            entity: Certificate
            key: [certificate_no]
            version: issued_at
            fields:
              certificate_no: { type: string, required: true }
              holder:         { type: string }
              issued_at:      { type: timestamp, required: true }
              scan:           { type: document, required: true }

            """,
        "Mappings/documents/registry.yaml": """
            mapping: registry/Certificate
            system: registry
            entity: Certificate
            fields:
              certificate_no: { column: no }
              holder:         { column: holder }
              issued_at:      { column: issued }
              scan:           { column: file, media_type: application/pdf }

            """,
        "Mappings/documents/library.yaml": """
            mapping: library/Certificate
            system: library
            entity: Certificate
            fields:
              certificate_no: { column: ZSBH }
              holder:         { column: QLR }
              issued_at:      { column: FZSJ }
              scan:           { column: WJ, name_column: WJMC }

            """,
        "Mappings/documents/archive.yaml": """
            mapping: archive/Certificate
            system: archive
            entity: Certificate
            fields:
              certificate_no: { column: no }
              holder:         { column: holder }
              issued_at:      { column: issued }
              scan:           { column: file }

            """,
    ]

    static func write(_ files: [String: String], under directory: URL) throws {
        for (path, text) in files {
            let url = directory.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
    }

    /// Writes a PDF-like file of `size` bytes into the export folder: `%PDF-1.7`, then
    /// seeded pseudo-random bytes (incompressible, like a real scan).
    @discardableResult
    func pdf(_ name: String, size: Int, seed: UInt64 = 1) throws -> URL {
        let url = directory.appendingPathComponent("data/registry-export/\(name)")
        FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        var random = SplitMix64(seed: seed)
        var written = 0
        let header = Array("%PDF-1.7\n".utf8)
        try handle.write(contentsOf: header)
        written += header.count
        while written < size {
            let count = min(1 << 20, size - written)
            var piece = [UInt8](repeating: 0, count: count)
            piece.withUnsafeMutableBytes { raw in
                for offset in stride(from: 0, to: count, by: 8) {
                    var word = random.next()
                    withUnsafeBytes(of: &word) { bytes in
                        for index in 0..<min(8, count - offset) { raw[offset + index] = bytes[index] }
                    }
                }
            }
            try handle.write(contentsOf: piece)
            written += count
        }
        return url
    }

    /// Drops an export file of certificates, each naming its scan.
    func export(_ name: String, _ rows: [(no: String, file: String)], issued: String = "2026-11-30T09:00:00Z") throws {
        let lines = rows.map { row in
            String(decoding: CanonicalJSON.encode(.object([
                "no": .string(row.no), "holder": "王伟", "issued": .string(issued), "file": .string(row.file),
            ])), as: UTF8.self)
        }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: directory.appendingPathComponent("data/registry-export/\(name)"))
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
}
