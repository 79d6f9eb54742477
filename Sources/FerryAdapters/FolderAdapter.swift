public import Foundation
public import FerryCore

/// NDJSON or CSV files exchanged through folders: the way many provincial and national
/// systems take part, by dropping an export and picking up an import.
///
/// Reading takes complete files from `folder` (never `*.part` or hidden files) in name
/// order. The checkpoint names the file and how many records of it are in; once a file's
/// last batch is committed, the next read moves it to `done/` (the moved-file convention),
/// so a crash between commit and move only moves it one run later. Writing puts each batch
/// into `out` as new files of at most `rollRecords` records, written as `NAME.part`,
/// fsynced and renamed, so the importing system never sees half a file.
public struct FolderAdapter: Source, Sink {
    public struct Options: Sendable {
        public var format: RecordFileFormat
        public var folder: URL?
        public var done: URL?
        public var out: URL?
        public var pattern: String?
        public var rollRecords = 10_000
        public var delimiter: UInt8 = UInt8(ascii: ",")
        /// The system's name, in output file names.
        public var prefix = "ferry"
        /// XML: the element each record is, and the document element written around them.
        public var recordElement = "record"
        public var rootElement = "records"
        /// The files' character encoding, read and written (`encoding:`).
        public var encoding = TextEncoding.utf8
        /// What a line that cannot be read does (`on_malformed:`).
        public var onMalformed = MalformedPolicy.quarantine
        /// Columns holding paths, relative to `folder`, of files each row carries as documents.
        public var documents: [String] = []

        public init(format: RecordFileFormat) { self.format = format }

        var suffix: String { "." + (pattern.map { ($0 as NSString).pathExtension } ?? format.rawValue) }
        var doneFolder: URL? { done ?? folder?.appendingPathComponent("done") }
    }

    /// What a malformed line or row of a file does.
    public enum MalformedPolicy: String, Sendable {
        /// Handed to the node's quarantine with its raw bytes and place; the rest of the file is read.
        case quarantine
        /// Stops the file there; it stays in the folder, and later files wait behind it.
        case stop
    }

    public let options: Options

    public init(options: Options) { self.options = options }

    /// Parses `options:` of a system with `adapter: ndjson` or `adapter: csv`.
    public static func options(_ node: ConfigNode, format: RecordFileFormat, system: String, baseDirectory: URL) throws -> Options {
        let what = "options of system \(system)"
        try node.rejectUnknownKeys(["folder", "done", "out", "pattern", "roll_records", "delimiter", "record", "root", "encoding", "on_malformed", "documents"], in: what)
        func folder(_ key: String) throws -> URL? {
            try node[key].map { URL(fileURLWithPath: try $0.string(key), relativeTo: baseDirectory).standardizedFileURL }
        }
        var options = Options(format: format)
        options.folder = try folder("folder")
        options.done = try folder("done")
        options.out = try folder("out")
        options.pattern = try node["pattern"]?.string("pattern")
        options.prefix = system
        guard options.folder != nil || options.out != nil else {
            throw node.error("give folder: (files to read) and/or out: (where files are written)")
        }
        if let rollNode = node["roll_records"] {
            options.rollRecords = try rollNode.int("roll_records")
            guard options.rollRecords >= 1 else { throw rollNode.error("roll_records must be at least 1") }
        }
        for (key, element) in [("record", \Options.recordElement), ("root", \Options.rootElement)] {
            guard let elementNode = node[key] else { continue }
            let name = try elementNode.string(key)
            let valid = key == "record" ? XMLRecordReader.isQualifiedName(name) : XMLRecordReader.isName(name)
            guard format == .xml, valid else {
                throw elementNode.error("\(key) is an XML element name, for xml\(key == "record" ? " (with a prefix if you like: gx:Record)" : "")")
            }
            options[keyPath: element] = name
        }
        if let documentsNode = node["documents"] {
            options.documents = try documentsNode.strings("documents")
            guard options.folder != nil else { throw documentsNode.error("documents: names columns of files read from folder:; give folder: too") }
        }
        if let encodingNode = node["encoding"] { options.encoding = try TextEncoding.option(encodingNode) }
        if let policyNode = node["on_malformed"] {
            let text = try policyNode.string("on_malformed")
            guard let policy = MalformedPolicy(rawValue: text) else {
                throw policyNode.error("on_malformed is quarantine (the default: set the line aside, read on) or stop (hold the file)")
            }
            options.onMalformed = policy
        }
        if let delimiterNode = node["delimiter"] {
            let text = try delimiterNode.string("delimiter")
            guard format == .csv, text.utf8.count == 1, let byte = text.utf8.first, byte != UInt8(ascii: "\""), byte != 0x0A else {
                throw delimiterNode.error("delimiter is one character other than a quote or line break, for csv")
            }
            options.delimiter = byte
        }
        return options
    }

    // MARK: checking

    public func check() throws {
        for folder in [options.folder, options.out].compactMap({ $0 }) {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw FerryError.adapter(.configuration, "folder \(folder.path) does not exist", hint: "create it, or fix the system's options")
            }
            guard FileManager.default.isReadableFile(atPath: folder.path) else {
                throw FerryError.adapter(.configuration, "folder \(folder.path) is not readable", hint: "check its permissions")
            }
        }
        if let out = options.out, !FileManager.default.isWritableFile(atPath: out.path) {
            throw FerryError.adapter(.configuration, "folder \(out.path) is not writable", hint: "check its permissions")
        }
    }

    /// The columns of the first waiting file: a CSV header, or the first NDJSON record's keys.
    public func discover() throws -> [String] {
        guard let file = try waitingFiles().first else { return [] }
        var records = try open(file)
        defer { records.close() }
        return try records.columns()
    }

    /// Complete files waiting in the folder, in name order.
    func waitingFiles() throws -> [URL] {
        guard let folder = options.folder else { return [] }
        return try completeFiles(in: folder, copies: false)
    }

    /// Complete record files in `directory`, in name order; `copies` also takes the
    /// `NAME.2`, `NAME.3` … that `retire` makes when a name comes back, each after the
    /// earlier ones of its name (`NAME`, `NAME.2`, …, `NAME.10`), as they arrived.
    func completeFiles(in directory: URL, copies: Bool) throws -> [URL] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory.path) } catch {
            throw FerryError.adapter(.retryable, "cannot list \(directory.path)", hint: "check that the folder is mounted and readable")
        }
        // A renamed copy, NAME.N: its name and number; a file of its own name is copy 1.
        func copy(_ name: String) -> (name: String, number: Int)? {
            guard copies, !name.hasSuffix(options.suffix), let dot = name.lastIndex(of: "."), let number = Int(name[name.index(after: dot)...]),
                name[..<dot].hasSuffix(options.suffix) else { return nil }
            return (String(name[..<dot]), number)
        }
        func order(_ name: String) -> (String, Int) { copy(name) ?? (name, 1) }
        func isRecordFile(_ name: String) -> Bool { name.hasSuffix(options.suffix) || copy(name) != nil }
        return names.filter { !$0.hasPrefix(".") && !$0.hasSuffix(".part") && isRecordFile($0) }.sorted { order($0) < order($1) }
            .map { directory.appendingPathComponent($0) }
            .filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
    }

    // MARK: reading

    /// Where reading stands: a file, how many of its records are in, and whether that is all.
    struct Position: Equatable {
        var file: String
        var records: Int
        var complete: Bool

        init(file: String, records: Int, complete: Bool) {
            (self.file, self.records, self.complete) = (file, records, complete)
        }

        init?(_ text: String?) throws {
            guard let text else { return nil }
            guard case .object(let object) = try? CanonicalJSON.decode(Array(text.utf8)), case .string(let file)? = object["file"],
                case .int(let records)? = object["records"], case .bool(let complete)? = object["complete"]
            else {
                throw FerryError.adapter(.configuration, "unreadable checkpoint '\(text)'", hint: "reset it with 'ferry queue reset-checkpoint'")
            }
            self.init(file: file, records: Int(records), complete: complete)
        }

        var text: String {
            String(decoding: CanonicalJSON.encode(.object(["file": .string(file), "records": .int(Int64(records)), "complete": .bool(complete)])),
                as: UTF8.self)
        }
    }

    public func read(since checkpoint: String?, batchSize: Int) throws -> any SourceReader {
        Reader(adapter: self, position: try Position(checkpoint), batchSize: batchSize)
    }

    struct Reader: SourceReader {
        let adapter: FolderAdapter
        var position: Position?
        let batchSize: Int
        var current: FileRecords?

        mutating func next() throws -> SourceBatch? {
            // The file of the last committed batch was finished: it leaves the folder now.
            if let position, position.complete {
                try adapter.retire(position.file)
                self.position = nil
            }
            if current == nil {
                guard let file = try adapter.waitingFiles().first else { return nil }
                var reader = try adapter.open(file)
                let resumeAt = position?.file == file.lastPathComponent ? position?.records ?? 0 : 0
                try reader.skip(entries: resumeAt)
                current = reader
                position = Position(file: file.lastPathComponent, records: resumeAt, complete: false)
            }
            guard var reader = current, var at = position else { return nil }
            var batch = SourceBatch(rows: [], positions: [], checkpoint: "")
            var ended = false
            while batch.rows.count + batch.malformed.count < max(1, batchSize) {
                guard let entry = try reader.next() else {
                    ended = true
                    break
                }
                switch entry {
                case .row(let row, let line): adapter.append(row, at: "\(at.file):\(line)", to: &batch)
                case .malformed(let row, let error):
                    // The default quarantines the line and goes on; `stop` holds the file here.
                    if adapter.options.onMalformed == .stop { throw error }
                    batch.malformed.append(row)
                }
                at.records += 1
            }
            if ended {
                at.complete = true
                reader.close()
                current = nil
            } else {
                current = reader
            }
            position = at
            batch.checkpoint = at.text
            // An empty file still needs its checkpoint committed, so that it is moved.
            return batch
        }
    }

    /// The entries of one file, whatever its format.
    enum FileRecords {
        case text(RecordFileReader)
        case xml(XMLRecordReader)

        mutating func next() throws -> RecordFileReader.Entry? {
            switch self {
            case .text(var reader):
                defer { self = .text(reader) }
                return try reader.next()
            case .xml(let reader):
                return try reader.next().map { .row($0.row, line: $0.line) }
            }
        }

        /// Skips rows and malformed entries alike: both count in a checkpoint.
        mutating func skip(entries count: Int) throws {
            for _ in 0..<count where try next() != nil {}
        }

        mutating func columns() throws -> [String] {
            switch self {
            case .text(var reader):
                defer { self = .text(reader) }
                return try reader.columns()
            case .xml(let reader):
                return try reader.next()?.row.keys.sorted() ?? []
            }
        }

        func close() {
            switch self {
            case .text(let reader): reader.close()
            case .xml(let reader): reader.close()
            }
        }
    }

    func open(_ file: URL) throws -> FileRecords {
        options.format == .xml
            ? .xml(try XMLRecordReader(url: file, recordElement: options.recordElement, encoding: options.encoding))
            : .text(try RecordFileReader(url: file, format: options.format, delimiter: options.delimiter, encoding: options.encoding))
    }

    /// Moves a finished file to `done/`, keeping an earlier file of the same name.
    func retire(_ name: String) throws {
        guard let folder = options.folder, let done = options.doneFolder else { return }
        let file = folder.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: file.path) else { return }
        do {
            try FileManager.default.createDirectory(at: done, withIntermediateDirectories: true)
            var target = done.appendingPathComponent(name)
            var copy = 1
            while FileManager.default.fileExists(atPath: target.path) {
                copy += 1
                target = done.appendingPathComponent("\(name).\(copy)")
            }
            try FileManager.default.moveItem(at: file, to: target)
        } catch {
            throw FerryError.adapter(.retryable, "cannot move \(file.path) to \(done.path)", hint: "check the permissions of both folders")
        }
    }
}
