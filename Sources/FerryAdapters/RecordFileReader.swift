import Foundation
import FerryCore

/// How records are laid out in exchanged files.
public enum RecordFileFormat: String, Sendable {
    case ndjson, csv, xml
}

/// Records from one NDJSON or CSV file, streamed in blocks. Hostile input stops with an
/// error that names the file, line and column: bytes that are not UTF-8, a CSV quote that
/// never closes, a line longer than `maxLine` (checked before it is buffered whole).
struct RecordFileReader {
    typealias Format = RecordFileFormat

    let url: URL
    let format: Format
    let delimiter: UInt8
    var maxLine = 16 << 20

    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    /// The line the next record starts on (1-based).
    private(set) var line = 1
    private var header: [String]?

    init(url: URL, format: Format, delimiter: UInt8 = UInt8(ascii: ",")) throws {
        self.url = url
        self.format = format
        self.delimiter = delimiter
        do {
            handle = try FileHandle(forReadingFrom: url)
        } catch {
            throw FerryError.adapter(.retryable, "cannot open \(url.path)", hint: "check the folder's permissions")
        }
    }

    func close() { try? handle.close() }

    func location(_ line: Int, _ column: Int) -> SourceLocation { SourceLocation(file: url.path, line: line, column: column) }

    /// Skips `count` records (resuming after a checkpoint); the CSV header is read first.
    mutating func skip(records count: Int) throws {
        for _ in 0..<count where try next() != nil {}
    }

    /// The CSV header's column names, or the first NDJSON record's keys.
    mutating func columns() throws -> [String] {
        if format == .csv {
            if header == nil { header = try csvRecord()?.fields }
            return header ?? []
        }
        guard let first = try next() else { return [] }
        return first.row.keys.sorted()
    }

    /// The next record and the line it starts on, nil at the end of the file.
    mutating func next() throws -> (row: [String: Value], line: Int)? {
        switch format {
        case .ndjson:
            while let (bytes, number) = try physicalLine() {
                if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                let value: Value
                do {
                    value = try CanonicalJSON.decode(bytes)
                } catch let error as FerryError {
                    throw FerryError.adapter(.permanent, "not a JSON record: \(error.message)", at: location(number, 1),
                        hint: "each line of an NDJSON file is one JSON object; fix or remove the line, then run again")
                }
                guard case .object(let members) = value else {
                    throw FerryError.adapter(.permanent, "line is JSON but not an object", at: location(number, 1),
                        hint: "each line of an NDJSON file is one JSON object")
                }
                return (members, number)
            }
            return nil
        case .xml:
            return nil  // XMLRecordReader reads XML
        case .csv:
            if header == nil {
                guard let names = try csvRecord() else { return nil }
                guard !names.fields.isEmpty, Set(names.fields).count == names.fields.count else {
                    throw FerryError.adapter(.permanent, "the header row has empty or repeated column names", at: location(names.line, 1),
                        hint: "the first line of a CSV file names its columns, each once")
                }
                header = names.fields
            }
            guard let header else { return nil }
            while let record = try csvRecord() {
                if record.fields == [""] { continue }  // a blank line
                guard record.fields.count == header.count else {
                    throw FerryError.adapter(.permanent, "the row has \(record.fields.count) fields, the header \(header.count)",
                        at: location(record.line, 1), hint: "quote fields that contain the delimiter or line breaks")
                }
                var row: [String: Value] = [:]
                for (name, field) in zip(header, record.fields) { row[name] = field.isEmpty ? .null : .string(field) }
                return (row, record.line)
            }
            return nil
        }
    }

    /// One line without its newline; text only (UTF-8 is checked here, with its column).
    private mutating func physicalLine() throws -> ([UInt8], Int)? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 0x0A) {
                let bytes = Array(buffer[start..<newline])
                start = newline + 1
                let number = line
                line += 1
                try checkText(bytes, line: number)
                return (bytes, number)
            }
            if buffer.count - start > maxLine {
                throw FerryError.adapter(.permanent, "line longer than \(maxLine >> 20) MiB", at: location(line, 1),
                    hint: "a record per line is expected; this file is not NDJSON or CSV, or it lost its line breaks")
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                let bytes = Array(buffer[start...])
                start = buffer.count
                let number = line
                line += 1
                try checkText(bytes, line: number)
                return (bytes, number)
            }
            try fill()
        }
    }

    private mutating func fill() throws {
        if start > 0 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        let block: Data?
        do { block = try handle.read(upToCount: 1 << 20) } catch {
            throw FerryError.adapter(.retryable, "cannot read \(url.path)", hint: "check the disk and the file")
        }
        guard let block, !block.isEmpty else {
            atEnd = true
            return
        }
        buffer.append(contentsOf: block)
    }

    private func checkText(_ bytes: [UInt8], line: Int) throws {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var column = 1
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: column += 1
            case .emptyInput: return
            case .error:
                throw FerryError.adapter(.permanent, "not UTF-8 text", at: location(line, column),
                    hint: "convert the file to UTF-8 (for GB18030: iconv -f GB18030 -t UTF-8) and drop it again")
            }
        }
    }

    /// One CSV record (RFC 4180): fields may be quoted, with doubled quotes inside and line
    /// breaks allowed; nil at the end of the file.
    private mutating func csvRecord() throws -> (fields: [String], line: Int)? {
        guard let line = try physicalLine() else { return nil }
        var bytes = line.0
        let first = line.1
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var quoteLine = first
        var quoteColumn = 0
        var index = 0
        var lineNumber = first
        if bytes.last == 0x0D { bytes.removeLast() }
        while true {
            if index == bytes.count {
                if quoted {
                    // The quoted field goes on to the next line.
                    guard let (more, number) = try physicalLine() else {
                        throw FerryError.adapter(.permanent, "a quoted field opened here is never closed", at: location(quoteLine, quoteColumn),
                            hint: "close the quote, or double a quote that belongs inside the field (\"\")")
                    }
                    field.append(0x0A)
                    bytes = more
                    if bytes.last == 0x0D { bytes.removeLast() }
                    index = 0
                    lineNumber = number
                    continue
                }
                fields.append(String(decoding: field, as: UTF8.self))
                return (fields, first)
            }
            let byte = bytes[index]
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\"") {
                        field.append(byte)
                        index += 2
                        continue
                    }
                    quoted = false
                    index += 1
                    guard index == bytes.count || bytes[index] == delimiter else {
                        throw FerryError.adapter(.permanent, "text after a closing quote", at: location(lineNumber, index + 1),
                            hint: "a quoted field ends at its closing quote; double quotes inside it (\"\")")
                    }
                    continue
                }
                field.append(byte)
            } else if byte == delimiter {
                fields.append(String(decoding: field, as: UTF8.self))
                field.removeAll(keepingCapacity: true)
            } else if byte == UInt8(ascii: "\"") && field.isEmpty {
                quoted = true
                quoteLine = lineNumber
                quoteColumn = index + 1
            } else {
                field.append(byte)
            }
            index += 1
        }
    }
}
