import Foundation
import FerryAdapters
import FerryCore
import FerryMapping

/// One reader under fuzzing: its seeds and tokens, and how an input reaches it, by the same
/// entry points a user's input takes (files in a watched folder, a mapping file on disk).
/// `feed` answers whether the reader took the input without refusing it; a crash ends the
/// process (FuzzCrashCapture keeps the input); a broken promise that is not a crash (text
/// written back that is not JSON, a value that changes on a round trip) is a finding.
struct FuzzTarget {
    let reader: String
    let work: URL
    let repository: URL
    var seeds: [[UInt8]] = []
    var dictionary: [[UInt8]] = []
    var findings: [String] = []
    private var fed = 0
    private var adapters: [FolderAdapter] = []
    private var mappings: [(Mapping, MappingStream.Direction)] = []
    private var library: MappingLibrary?

    init(reader: String, work: URL, repository: URL) throws {
        self.reader = reader
        self.work = work
        self.repository = repository
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        switch reader {
        case "json":
            (seeds, dictionary) = (FuzzSeeds.json, FuzzSeeds.jsonTokens)
        case "mapping-apply":
            (seeds, dictionary) = (FuzzSeeds.mappingLines, FuzzSeeds.jsonTokens + [[0x0A], [0x0D, 0x0A]])
            let mappingFolder = repository.appendingPathComponent("Mappings/foreign-affairs")
            for (file, direction) in [("portal.yaml", MappingStream.Direction.read), ("approval.yaml", .write)] {
                let url = mappingFolder.appendingPathComponent(file)
                mappings.append((try MappingLibrary.containing(url).mapping(url), direction))
            }
        case "ndjson", "csv", "xml":
            let format = RecordFileFormat(rawValue: reader) ?? .ndjson
            (seeds, dictionary) = FuzzSeeds.folder(format)
            adapters = try folderAdapters(format)
        default:
            (seeds, dictionary) = (try FuzzSeeds.yaml(repository), FuzzSeeds.yamlTokens)
            try prepareYAML()
        }
    }

    /// Feeds one input; true when the reader took it without refusing it.
    mutating func feed(_ input: [UInt8]) -> Bool {
        fed += 1
        switch reader {
        case "json": return feedJSON(input)
        case "mapping-apply": return feedMappingApply(input)
        case "ndjson", "csv", "xml": return feedFolder(input)
        default: return feedYAML(input)
        }
    }

    private mutating func feedJSON(_ input: [UInt8]) -> Bool {
        guard let value = try? CanonicalJSON.decode(input) else { return false }
        let written = CanonicalJSON.encode(value)
        if (try? CanonicalJSON.decode(written)) != value { findings.append("a round trip changes the value of \(Self.show(input))") }
        if (try? JSONSerialization.jsonObject(with: Data(written), options: [.fragmentsAllowed])) == nil,
            !Self.beyondFoundation(value)
        {
            findings.append("Foundation refuses what CanonicalJSON wrote for \(Self.show(input)): \(Self.show(written))")
        }
        return true
    }

    /// Values Foundation's parser refuses although they are JSON: numbers beyond Double's range.
    static func beyondFoundation(_ value: Value) -> Bool {
        switch value {
        case .decimal(let text): return !(Double(text)?.isFinite ?? false)
        case .list(let items): return items.contains(where: beyondFoundation)
        case .object(let members): return members.values.contains(where: beyondFoundation)
        default: return false
        }
    }

    private mutating func feedMappingApply(_ input: [UInt8]) -> Bool {
        let (mapping, direction) = mappings[fed % mappings.count]
        let source = work.appendingPathComponent("in.ndjson")
        let output = work.appendingPathComponent("out.ndjson")
        let rejects = work.appendingPathComponent("rejects.ndjson")
        do {
            try Data(input).write(to: source)
            for file in [output, rejects] { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
            let counts = try MappingStream(mapping: mapping, direction: direction).run(
                input: try FileHandle(forReadingFrom: source), output: try FileHandle(forWritingTo: output),
                rejects: try FileHandle(forWritingTo: rejects), inputName: source.path)
            for file in [output, rejects] {
                for line in try Data(contentsOf: file).split(separator: 0x0A) where (try? CanonicalJSON.decode(line)) == nil {
                    findings.append("mapping apply (\(direction)) wrote a line that is not JSON for \(Self.show(input)): \(Self.show(Array(line)))")
                }
            }
            return counts.rejected == 0
        } catch {
            return false
        }
    }

    private func folderAdapters(_ format: RecordFileFormat) throws -> [FolderAdapter] {
        let folder = work.appendingPathComponent("in").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var variants = ["{folder: '\(folder)'}", "{folder: '\(folder)', on_malformed: stop}"]
        switch format {
        case .csv:
            variants += ["{folder: '\(folder)', delimiter: ';'}", "{folder: '\(folder)', encoding: gb18030}", "{folder: '\(folder)', encoding: utf-16}"]
        case .xml:
            variants += ["{folder: '\(folder)', record: 'gx:Record'}", "{folder: '\(folder)', record: Record}"]
        default:
            variants += ["{folder: '\(folder)', encoding: gb18030}"]
        }
        // Options this build does not know yet are left out, not failures.
        return variants.compactMap { text in
            guard let node = try? ConfigNode.parse(text, file: "fuzz.yaml"),
                let options = try? FolderAdapter.options(node, format: format, system: "fuzz", baseDirectory: work)
            else { return nil }
            return FolderAdapter(options: options)
        }
    }

    private mutating func feedFolder(_ input: [UInt8]) -> Bool {
        let adapter = adapters[fed % adapters.count]
        guard let folder = adapter.options.folder else { return false }
        let done = adapter.options.done ?? folder.appendingPathComponent("done")
        let name = "input.\(reader)"
        defer {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
            try? FileManager.default.removeItem(at: done)
        }
        do {
            try Data(input).write(to: folder.appendingPathComponent(name))
            var source = try adapter.read(since: nil, batchSize: 256)
            var batches = 0
            while try source.next() != nil {
                batches += 1
                // One file of at most a few MB cannot take this many batches.
                if batches > 100_000 {
                    findings.append("the \(reader) reader never ends on \(Self.show(input))")
                    return false
                }
            }
            return true
        } catch {
            return false
        }
    }

    /// A topology beside a copy of the repository's Mappings/, and a mapping library.
    private mutating func prepareYAML() throws {
        let mappings = work.appendingPathComponent("Mappings")
        try? FileManager.default.removeItem(at: mappings)
        try FileManager.default.createDirectory(at: mappings, withIntermediateDirectories: true)
        for folder in ["entities", "codes", "foreign-affairs"] {
            try FileManager.default.createSymbolicLink(at: mappings.appendingPathComponent(folder),
                withDestinationURL: repository.appendingPathComponent("Mappings/\(folder)"))
        }
        library = MappingLibrary(root: mappings)
    }

    /// Each input is read as a topology, a mapping and an entity.
    private mutating func feedYAML(_ input: [UInt8]) -> Bool {
        let file = work.appendingPathComponent("ferry.yaml")
        let mappingFile = work.appendingPathComponent("Mappings/fuzz.yaml")
        var took = 0
        do {
            try Data(input).write(to: file)
            try Data(input).write(to: mappingFile)
        } catch {
            return false
        }
        if (try? TopologyLoader.load(file.path)) != nil { took += 1 }
        if let library {
            if (try? library.mapping(mappingFile)) != nil { took += 1 }
            if (try? EntitySchema.load(file, codes: library.codes)) != nil { took += 1 }
        }
        return took > 0
    }

    /// The first bytes of an input, for a message.
    static func show(_ bytes: [UInt8]) -> String {
        let head = bytes.prefix(120)
        let text = String(decoding: head, as: UTF8.self).debugDescription
        return bytes.count > head.count ? "\(text)… (\(bytes.count) bytes)" : text
    }
}
