import FerryCore

/// CSV (RFC 4180): a header row naming the columns, fields quoted with `"` where they hold
/// the delimiter, a quote or a line break, a doubled quote inside a quoted field.
///
/// Ferry's convention for null: an unquoted empty field is null, a quoted empty field (`""`)
/// is the empty string; the writer follows it, so both survive a round trip. A line break
/// inside a quoted field is kept as it was, CR LF included; outside quotes CR LF ends a row.
/// An empty line (nothing, not even `""`) is skipped.
extension RecordFileReader {
    struct CSVField {
        var bytes: [UInt8]
        var quoted: Bool
    }

    /// A record's fields with the line it starts on and its raw bytes, or why it is not one.
    enum CSVRecord {
        case fields([CSVField], line: Int, raw: [UInt8])
        case malformed(FerryError, raw: [UInt8])
    }

    /// Reads the header row once; a header that cannot be read stops the file.
    mutating func readHeader() throws {
        guard header == nil, let record = try csvRecord() else { return }
        switch record {
        case .malformed(let error, _):
            throw error
        case .fields(let fields, let line, let raw):
            if let error = encodingError(in: raw, firstLine: line) { throw error }
            let names = fields.map { String(decoding: $0.bytes, as: UTF8.self) }
            guard !names.isEmpty, Set(names).count == names.count else {
                throw FerryError.adapter(.permanent, "the header row has empty or repeated column names", at: location(line, 1),
                    hint: "the first line of a CSV file names its columns, each once")
            }
            header = names
        }
    }

    mutating func nextCSVRow() throws -> Entry? {
        try readHeader()
        guard let header else { return nil }
        while let record = try csvRecord() {
            switch record {
            case .malformed(let error, let raw):
                return malformed(error, raw: raw)
            case .fields(let fields, let line, let raw):
                if fields.count == 1, !fields[0].quoted, fields[0].bytes.isEmpty { continue }  // an empty line
                if let error = encodingError(in: raw, firstLine: line) { return malformed(error, raw: raw) }
                guard fields.count == header.count else {
                    return malformed(.adapter(.permanent, "the row has \(fields.count) fields, the header \(header.count)",
                        at: location(line, 1), hint: "quote fields that contain the delimiter or line breaks"), raw: raw)
                }
                var row: [String: Value] = [:]
                for (name, field) in zip(header, fields) {
                    row[name] = field.bytes.isEmpty && !field.quoted ? .null : .string(String(decoding: field.bytes, as: UTF8.self))
                }
                return .row(row, line: line)
            }
        }
        return nil
    }

    /// One CSV record, which may run over several lines inside quotes; nil at the end.
    mutating func csvRecord() throws -> CSVRecord? {
        guard let first = try physicalLine() else { return nil }
        if first.tooLong {
            throw FerryError.adapter(.permanent, "line longer than \(maxLine >> 20) MiB", at: location(first.number, 1),
                hint: "a record per line is expected; this file is not CSV, or it lost its line breaks")
        }
        let quote = UInt8(ascii: "\"")
        var (bytes, lineNumber, raw) = (first.bytes, first.number, first.bytes)
        var fields: [CSVField] = []
        var field: [UInt8] = []
        var (quoted, wasQuoted) = (false, false)
        var (quoteLine, quoteColumn) = (first.number, 0)
        var index = 0
        while true {
            if index == bytes.count {
                guard quoted else {
                    fields.append(CSVField(bytes: field, quoted: wasQuoted))
                    return .fields(fields, line: first.number, raw: raw)
                }
                // The quoted field goes on to the next line, with the line break it had.
                guard let more = try physicalLine() else {
                    throw FerryError.adapter(.permanent, "a quoted field opened here is never closed", at: location(quoteLine, quoteColumn),
                        hint: "close the quote, or double a quote that belongs inside the field (\"\")")
                }
                guard !more.tooLong, raw.count + more.bytes.count < maxLine else {
                    throw FerryError.adapter(.permanent, "a quoted field opened here runs past \(maxLine >> 20) MiB",
                        at: location(quoteLine, quoteColumn), hint: "close the quote where the field ends")
                }
                field.append(0x0A)
                raw.append(0x0A)
                raw += more.bytes
                (bytes, index, lineNumber) = (more.bytes, 0, more.number)
                continue
            }
            let byte = bytes[index]
            let endsLine = byte == 0x0D && index == bytes.count - 1  // the CR of CR LF
            if quoted {
                if byte == quote {
                    if index + 1 < bytes.count, bytes[index + 1] == quote {
                        field.append(byte)
                        index += 2
                        continue
                    }
                    quoted = false
                    index += 1
                    guard index == bytes.count || bytes[index] == delimiter || (bytes[index] == 0x0D && index == bytes.count - 1) else {
                        return .malformed(.adapter(.permanent, "text after a closing quote", at: location(lineNumber, index + 1),
                            hint: "a quoted field ends at its closing quote; double quotes inside it (\"\")"), raw: raw)
                    }
                    continue
                }
                field.append(byte)
            } else if byte == delimiter {
                fields.append(CSVField(bytes: field, quoted: wasQuoted))
                field.removeAll(keepingCapacity: true)
                wasQuoted = false
            } else if endsLine {
                // Not data: the row ends here.
            } else if byte == quote && field.isEmpty && !wasQuoted {
                (quoted, wasQuoted) = (true, true)
                (quoteLine, quoteColumn) = (lineNumber, index + 1)
            } else {
                field.append(byte)
            }
            index += 1
        }
    }
}
