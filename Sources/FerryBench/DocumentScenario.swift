package import Foundation
import FerryCore
import FerryOps
import FerryAdapters

/// Real-estate certificates (电子证照) with their scanned files, as `ferry bench documents`
/// and the document tests set them up on top of `ferry init`'s two zones: the registry on
/// the extranet drops NDJSON exports whose `file` column names a file beside them; across
/// the gap the licence library keeps each file in a BLOB column of an SQLite table, and an
/// archive folder gets a copy.
package enum DocumentScenario {
    /// Writes the deployment into `directory`.
    /// - Parameters:
    ///   - channel: extra keys of the channel (`bundle_bytes: 1048576, resend_after: 0`).
    ///   - extranetNode: extra keys of the sending node (`sign_documents: true`).
    ///   - jinhongNode: extra keys of the receiving node (`receive_hook: [scan]`).
    ///   - libraryScan: extra keys of the library mapping's `scan` field (`require_signature: [extranet-gw]`).
    ///   - targets: the flow's targets.
    package static func create(
        in directory: URL, channel: String = "", extranetNode: String = "", jinhongNode: String = "", libraryScan: String = "",
        targets: [String] = ["library", "archive"]
    ) throws {
        _ = try Scaffold.create(in: directory)
        let config = directory.appendingPathComponent("ferry.yaml")
        var text = try String(contentsOf: config, encoding: .utf8)
        // A channel option without a return path (`carousel: 2`) makes the channel one-way.
        let oneWay = channel.contains("carousel:")
        text = text.replacingOccurrences(of: ", return: gap/jinhong-to-extranet }",
            with: (oneWay ? "" : ", return: gap/jinhong-to-extranet") + (channel.isEmpty ? "" : ", " + channel) + " }")
        if !jinhongNode.isEmpty {
            text = text.replacingOccurrences(of: "key: keys/jinhong-gw.key }", with: "key: keys/jinhong-gw.key, \(jinhongNode) }")
        }
        if !extranetNode.isEmpty {
            text = text.replacingOccurrences(of: "key: keys/extranet-gw.key }", with: "key: keys/extranet-gw.key, \(extranetNode) }")
        }
        guard let start = text.range(of: "entities:\n") else { throw FerryError(.benchmark, "ferry init wrote no entities: section") }
        text.replaceSubrange(start.lowerBound..<text.endIndex, with: deployment.replacingOccurrences(of: "[library, archive]", with: "[\(targets.joined(separator: ", "))]"))
        try Data(text.utf8).write(to: config)
        var files = Self.files
        if !libraryScan.isEmpty {
            files["Mappings/documents/library.yaml"] = files["Mappings/documents/library.yaml"]?
                .replacingOccurrences(of: "name_column: WJMC }", with: "name_column: WJMC, \(libraryScan) }")
        }
        for (path, text) in files {
            let url = directory.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        for folder in ["data/registry-export", "data/archive"] {
            try FileManager.default.createDirectory(at: directory.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        try SQLiteSystemFile(path: directory.appendingPathComponent("data/library.db"))
            .execute("CREATE TABLE licences (ZSBH TEXT PRIMARY KEY, QLR TEXT, FZSJ TEXT, WJMC TEXT, WJ BLOB)")
    }

    /// Writes a PDF-like file of `size` bytes: `%PDF-1.7`, then seeded pseudo-random bytes
    /// (incompressible, like a real scan), a MiB at a time.
    package static func pdf(at url: URL, size: Int, seed: UInt64 = 1) throws {
        FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        var random = SplitMix64(seed: seed)
        let header = Array("%PDF-1.7\n".utf8)
        try handle.write(contentsOf: header)
        var written = header.count
        while written < size {
            let count = min(1 << 20, size - written)
            var piece = [UInt8](repeating: 0, count: count + 8)
            piece.withUnsafeMutableBytes { raw in
                for offset in stride(from: 0, to: count, by: 8) { raw.storeBytes(of: random.next(), toByteOffset: offset, as: UInt64.self) }
            }
            try handle.write(contentsOf: piece.prefix(count))
            written += count
        }
    }

    /// An export file of certificates, each naming its scan, dropped into the registry's folder.
    package static func export(_ name: String, in directory: URL, _ rows: [(no: String, file: String)], issued: String = "2026-11-30T09:00:00Z") throws {
        let lines = rows.map { row in
            String(decoding: CanonicalJSON.encode(.object([
                "no": .string(row.no), "holder": "王伟", "issued": .string(issued), "file": .string(row.file),
            ])), as: UTF8.self)
        }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: directory.appendingPathComponent("data/registry-export/\(name)"))
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

}
