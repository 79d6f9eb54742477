import Foundation
import FerryCore
@testable import FerryMapping

/// A scratch `Mappings/` folder holding one entity, for tests that try a rule on a small
/// mapping file written beside it.
struct MappingScratch {
    let root: URL

    init(entity: String, codes: [String: String] = [:]) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-scratch-\(UUID().uuidString)")
        for folder in ["entities", "codes", "systems"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        try entity.write(to: root.appendingPathComponent("entities/entity.yaml"), atomically: true, encoding: .utf8)
        for (name, csv) in codes {
            try csv.write(to: root.appendingPathComponent("codes/\(name).csv"), atomically: true, encoding: .utf8)
        }
    }

    /// Compiles `text` as a mapping file; its file name ends in `systems/NAME.yaml`.
    func mapping(_ text: String, name: String = "system") throws -> Mapping {
        let file = root.appendingPathComponent("systems/\(name)-\(UUID().uuidString.prefix(8)).yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return try MappingLibrary.containing(file).mapping(file)
    }

    /// The error compiling `text` gives, or nil when it compiles.
    func refusal(_ text: String) -> FerryError? {
        do {
            _ = try mapping(text)
            return nil
        } catch let error as FerryError {
            return error
        } catch {
            return FerryError(.internalFailure, "\(error)")
        }
    }

    /// NDJSON canonical lines written through `mapping` by the compiled and the general road.
    func writeBothRoads(_ mapping: Mapping, lines: [String]) throws -> (compiled: String, general: String) {
        let input = root.appendingPathComponent("in-\(UUID().uuidString.prefix(8)).ndjson")
        try Data(lines.joined(separator: "\n").utf8).write(to: input)
        func run(_ compile: Bool) throws -> String {
            let output = root.appendingPathComponent("out-\(UUID().uuidString.prefix(8)).ndjson")
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            _ = try MappingStream(mapping: mapping, direction: .write, compile: compile).run(
                input: try FileHandle(forReadingFrom: input), output: try FileHandle(forWritingTo: output), rejects: nil, inputName: "lines")
            return String(decoding: try Data(contentsOf: output), as: UTF8.self)
        }
        return (try run(true), try run(false))
    }
}

extension MappedRow {
    /// The mapped record's field, or nil when the row was rejected.
    func field(_ name: String) -> Value? {
        if case .record(let record) = self { return record.fields[name] ?? .null }
        return nil
    }

    var record: Record? {
        if case .record(let record) = self { return record }
        return nil
    }

    var issues: [MappingIssue] {
        if case .rejected(_, let issues) = self { return issues }
        return []
    }
}
