import Foundation
import FerryCore

/// How records are laid out in exchanged files.
public enum RecordFileFormat: String, Sendable {
    case ndjson, csv, xml
}

/// Records from one NDJSON or CSV file, streamed in blocks of UTF-8 (`TextInput` converts
/// other encodings and drops a byte-order mark).
///
/// A line or row that cannot be read is handed back as a malformed entry, with its raw bytes
/// and file:line:column, and reading goes on with the next one: a bad JSON line, a CSV row
/// with the wrong number of fields or text after a closing quote, bytes invalid in the
/// file's encoding, an NDJSON line longer than `maxLine`. Only faults that leave the rest of
/// the file unreadable throw: a bad CSV header, a quote that never closes, a CSV record
/// longer than `maxLine` (each checked before it is buffered whole).
struct RecordFileReader {
    typealias Format = RecordFileFormat

    /// One record of the file, or input that could not be read as one.
    enum Entry {
        case row([String: Value], line: Int)
        /// The error is what `on_malformed: stop` throws.
        case malformed(MalformedRow, FerryError)
    }

    let url: URL
    let format: Format
    let delimiter: UInt8
    let encoding: TextEncoding
    var maxLine = 16 << 20

    var input: TextInput
    var buffer: [UInt8] = []
    var start = 0
    var atEnd = false
    /// The line the next record starts on (1-based).
    private(set) var line = 1
    var header: [String]?

    init(url: URL, format: Format, delimiter: UInt8 = UInt8(ascii: ","), encoding: TextEncoding = .utf8) throws {
        self.url = url
        self.format = format
        self.delimiter = delimiter
        self.encoding = encoding
        let plan: TextInput.Plan = encoding == .utf8 ? .utf8 : encoding == .utf16 ? .utf16ByMark : encoding.fixedCharset.map { .convert($0) } ?? .utf8
        input = try TextInput(url: url, plan: plan)
    }

    func close() { input.close() }

    func location(_ line: Int, _ column: Int) -> SourceLocation { SourceLocation(file: url.path, line: line, column: column) }

    /// Skips `count` entries (resuming after a checkpoint); the CSV header is read first.
    mutating func skip(entries count: Int) throws {
        for _ in 0..<count where try next() != nil {}
    }

    /// The CSV header's column names, or the first NDJSON record's keys.
    mutating func columns() throws -> [String] {
        if format == .csv {
            try readHeader()
            return header ?? []
        }
        while let entry = try next() {
            if case .row(let row, _) = entry { return row.keys.sorted() }
        }
        return []
    }

    /// The next entry, nil at the end of the file.
    mutating func next() throws -> Entry? {
        switch format {
        case .ndjson: return try nextJSONLine()
        case .csv: return try nextCSVRow()
        case .xml: return nil  // XMLRecordReader reads XML
        }
    }

    private mutating func nextJSONLine() throws -> Entry? {
        while let physical = try physicalLine() {
            let (bytes, number) = (physical.bytes, physical.number)
            if physical.tooLong {
                return malformed(.adapter(.permanent, "line longer than \(maxLine >> 20) MiB", at: location(number, 1),
                    hint: "a record per line is expected; this file is not NDJSON, or it lost its line breaks"), raw: bytes)
            }
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            if let error = encodingError(in: bytes, firstLine: number) { return malformed(error, raw: bytes) }
            let value: Value
            do {
                value = try CanonicalJSON.decode(bytes)
            } catch let error as FerryError {
                return malformed(.adapter(.permanent, "not a JSON record: \(error.message)", at: location(number, 1),
                    hint: "each line of an NDJSON file is one JSON object; fix the line and requeue it"), raw: bytes)
            }
            guard case .object(let members) = value else {
                return malformed(.adapter(.permanent, "line is JSON but not an object", at: location(number, 1),
                    hint: "each line of an NDJSON file is one JSON object"), raw: bytes)
            }
            return .row(members, line: number)
        }
        return nil
    }

    func malformed(_ error: FerryError, raw: [UInt8]) -> Entry {
        let at: String
        if case .file(let place)? = error.location {
            at = "\(url.lastPathComponent):\(place.line):\(place.column)"
        } else {
            at = url.lastPathComponent
        }
        return .malformed(MalformedRow(position: at, reason: error.message, raw: raw), error)
    }

    /// One physical line without its line feed (a CR before it stays); `tooLong` when it
    /// passed `maxLine`: then `bytes` holds its first `maxLine` bytes and the rest was skipped.
    mutating func physicalLine() throws -> (bytes: [UInt8], number: Int, tooLong: Bool)? {
        while true {
            let newline = buffer[start...].firstIndex(of: 0x0A)
            if let newline, newline - start <= maxLine {
                let bytes = Array(buffer[start..<newline])
                start = newline + 1
                return (bytes, take(), false)
            }
            if buffer.count - start > maxLine {
                let prefix = Array(buffer[start..<(start + maxLine)])
                try skipRestOfLine()
                return (prefix, take(), true)
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                let bytes = Array(buffer[start...])
                start = buffer.count
                return (bytes, take(), false)
            }
            try fill()
        }
    }

    private mutating func take() -> Int {
        defer { line += 1 }
        return line
    }

    /// Drops bytes up to and including the next line feed, block by block.
    private mutating func skipRestOfLine() throws {
        while true {
            if let newline = buffer[start...].firstIndex(of: 0x0A) {
                start = newline + 1
                return
            }
            start = buffer.count
            if atEnd { return }
            try fill()
        }
    }

    private mutating func fill() throws {
        if start > 0 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        guard let block = try input.next() else {
            atEnd = true
            return
        }
        buffer.append(contentsOf: block)
    }

    /// The located error for bytes that are not text in the file's encoding, nil when all are.
    /// `bytes` may span lines (a CSV record): the line is counted from `firstLine`.
    func encodingError(in bytes: [UInt8], firstLine: Int) -> FerryError? {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var (line, column) = (firstLine, 1)
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                if scalar == "\n" {
                    (line, column) = (line + 1, 1)
                } else {
                    column += 1
                }
            case .emptyInput:
                return nil
            case .error:
                guard encoding == .utf8 else {
                    return .adapter(.permanent, "bytes that are not \(input.label) text", at: location(line, column),
                        hint: "the system's options say encoding: \(encoding.rawValue); check that the file really is in it")
                }
                return .adapter(.permanent, "not UTF-8 text", at: location(line, column),
                    hint: "if the file is in another encoding, say so in the system's options (encoding: gb18030, gbk or utf-16)")
            }
        }
    }
}
