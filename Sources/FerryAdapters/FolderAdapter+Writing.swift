import Foundation
import FerryCore

extension FolderAdapter {
    /// Writes the rows as new files. A file sink cannot upsert: the importing system does,
    /// by key and version; Ferry's inbox already keeps it from seeing a version twice. A
    /// record the file's encoding cannot hold is rejected with the reason; the others are
    /// written.
    public func apply(_ rows: [SinkRow]) throws -> [SinkOutcome] {
        guard let out = options.out else {
            throw FerryError.adapter(.configuration, "system has no out: folder to write to", hint: "add out: to its options")
        }
        guard FileManager.default.fileExists(atPath: out.path) else {
            throw FerryError.adapter(.retryable, "folder \(out.path) does not exist", hint: "mount or create it; the records wait and are retried")
        }
        let output = try TextOutput(encoding: options.encoding)
        var outcomes: [SinkOutcome] = []
        var start = 0
        while start < rows.count {
            let chunk = Array(rows[start..<min(start + options.rollRecords, rows.count)])
            outcomes += try writeFile(chunk, into: out, output: output)
            start += chunk.count
        }
        return outcomes
    }

    /// A row's value as CSV or XML text: nil for null, JSON for lists and objects.
    static func cellText(_ value: Value) -> String? {
        switch value {
        case .null: return nil
        case .list, .object: return String(decoding: CanonicalJSON.encode(value), as: UTF8.self)
        case .bytes(let data): return data.base64EncodedString()
        default: return value.text
        }
    }

    private func writeFile(_ rows: [SinkRow], into out: URL, output: TextOutput) throws -> [SinkOutcome] {
        let values = try rows.map { row in
            var values = try writeDocuments(row.values, into: out)
            if row.operation == .delete { values["_op"] = "delete" }
            return values
        }
        var head = "", tail = ""
        var body: (([String: Value]) -> String?)
        switch options.format {
        case .ndjson:
            body = { String(decoding: CanonicalJSON.encode(.object($0)) + [0x0A], as: UTF8.self) }
        case .xml:
            if let bad = Set(values.flatMap(\.keys)).sorted().first(where: { !XMLRecordReader.isColumn($0) }) {
                throw FerryError.adapter(.permanent, "column \(bad) cannot be an XML element name (or element@attribute)",
                    hint: "rename it in the mapping")
            }
            head = "<?xml version=\"1.0\" encoding=\"\(output.xmlName)\"?>\n<\(options.rootElement)>\n"
            tail = "</\(options.rootElement)>\n"
            body = { [options] in XMLRecordReader.element(options.recordElement, $0, indent: "  ") }
        case .csv:
            // `_op` is a column of its own, last, when the file holds a deletion.
            let columns = Set(rows.flatMap(\.values.keys)).sorted()
            let header = rows.contains { $0.operation == .delete } ? columns + ["_op"] : columns
            head = String(decoding: CSVLine.encode(header, delimiter: options.delimiter), as: UTF8.self)
            body = { [options] row in
                String(decoding: CSVLine.encode(header.map { row[$0].map(Self.cellText) ?? nil }, delimiter: options.delimiter), as: UTF8.self)
            }
        }
        guard let headBytes = output.encode(head), let tailBytes = output.encode(tail) else {
            let reason = "the file's header cannot be written in \(options.encoding.label) (a column name holds "
                + "\(output.unrepresentable(in: head + tail) ?? "a character it lacks"))"
            return rows.map { _ in .rejected(reason) }
        }
        var bytes = output.fileStart(xml: options.format == .xml) + headBytes
        var outcomes: [SinkOutcome] = []
        for row in values {
            guard let text = body(row) else {
                outcomes.append(.rejected("a value holds a control character XML 1.0 cannot carry; remove it in the mapping"))
                continue
            }
            if let encoded = output.encode(text) {
                bytes += encoded
                outcomes.append(.applied)
            } else {
                outcomes.append(.rejected(output.refusal(row)))
            }
        }
        guard outcomes.contains(.applied) else { return outcomes }
        try publish(bytes + tailBytes, into: out)
        return outcomes
    }

    /// Writes `NAME.part`, fsyncs it and renames it, so the importer never sees half a file.
    private func publish(_ bytes: [UInt8], into out: URL) throws {
        // Names sort in the order files were written (microseconds), so importers that take
        // files by name take them in order; the random tail keeps two writers apart.
        let micros = String(UInt64(Date().timeIntervalSince1970 * 1_000_000))
        let stamp = String(repeating: "0", count: max(0, 17 - micros.count)) + micros
        let name = "\(options.prefix)-\(stamp)-\(UUID().uuidString.prefix(8).lowercased())\(options.suffix)"
        let part = out.appendingPathComponent(name + ".part")
        do {
            guard FileManager.default.createFile(atPath: part.path, contents: Data(bytes)) else {
                throw CocoaError(.fileWriteUnknown)
            }
            let handle = try FileHandle(forWritingTo: part)
            try handle.synchronize()
            try handle.close()
            try FileManager.default.moveItem(at: part, to: out.appendingPathComponent(name))
        } catch {
            try? FileManager.default.removeItem(at: part)
            throw FerryError.adapter(.retryable, "cannot write \(part.path)", hint: "check free space and permissions in \(out.path)")
        }
    }
}
