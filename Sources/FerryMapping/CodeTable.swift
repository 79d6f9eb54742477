import Foundation
import FerryCore

/// A code table: rows of equivalent codes, one column per code system. The `canonical`
/// column holds the codes canonical records use; other columns are system dialects
/// (`gbt2261`, `numeric`, `jinhong`…). A mapping names `TABLE.COLUMN` to translate.
public struct CodeTable: Sendable {
    /// What to do with a code the table does not list, set by a `# unmapped: …` line above
    /// the header: `fail` (the default: the record is quarantined), `passthrough` (the code
    /// is kept as it is) or `fixed CODE` (it becomes that canonical code, as GB/T 2261.1's
    /// 9 "not stated" serves for a gender a system does not know).
    public enum UnmappedPolicy: Sendable, Equatable {
        case fail
        case passthrough
        case fixed(String)
    }

    public let name: String
    public let columns: [String]
    public private(set) var unmapped = UnmappedPolicy.fail
    /// Canonical code → value per column.
    private var rows: [String: [String: String]] = [:]
    /// Column → (dialect code → canonical code).
    private var reverse: [String: [String: String]] = [:]

    public var canonicalCodes: Set<String> { Set(rows.keys) }

    public func isCanonical(_ code: String) -> Bool { rows[code] != nil }

    public init(name: String, csv text: String, file: String) throws {
        self.name = name
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated().makeIterator()
        var header: [String] = []
        var policyLine: (text: String, line: Int)?
        while let (index, line) = lines.next() {
            let comment = line.dropFirst().trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#"), comment.hasPrefix("unmapped:") {
                policyLine = (comment.dropFirst("unmapped:".count).trimmingCharacters(in: .whitespaces), index + 1)
                continue
            }
            if line.hasPrefix("#") || line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            header = try CSVLine.split(String(line), file: file, line: index + 1)
            break
        }
        guard header.first == "canonical" else {
            throw FerryError(.config, "code table \(name): the first column must be 'canonical'",
                at: .file(SourceLocation(file: file, line: 1, column: 1)), hint: "start the header with canonical,…")
        }
        columns = header
        while let (index, line) = lines.next() {
            if line.hasPrefix("#") || line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let cells = try CSVLine.split(String(line), file: file, line: index + 1)
            guard cells.count == header.count else {
                throw FerryError(.config, "code table \(name): row has \(cells.count) cells, the header has \(header.count)",
                    at: .file(SourceLocation(file: file, line: index + 1, column: 1)))
            }
            let canonical = cells[0]
            guard rows[canonical] == nil else {
                throw FerryError(.config, "code table \(name): duplicate canonical code '\(canonical)'",
                    at: .file(SourceLocation(file: file, line: index + 1, column: 1)))
            }
            var row: [String: String] = [:]
            for (column, cell) in zip(header, cells) where !cell.isEmpty {
                row[column] = cell
                // The first row listing a dialect code wins, so lookups back are unambiguous.
                if reverse[column, default: [:]][cell] == nil { reverse[column, default: [:]][cell] = canonical }
            }
            rows[canonical] = row
        }
        if let (text, line) = policyLine {
            let location = SourceLocation(file: file, line: line, column: 1)
            switch text.split(separator: " ", maxSplits: 1).map(String.init) {
            case ["fail"]: unmapped = .fail
            case ["passthrough"]: unmapped = .passthrough
            case let parts where parts.count == 2 && parts[0] == "fixed":
                guard rows[parts[1]] != nil else {
                    throw FerryError(.config, "code table \(name): unmapped: fixed \(parts[1]) is not a canonical code of the table", at: .file(location))
                }
                unmapped = .fixed(parts[1])
            default:
                throw FerryError(.config, "code table \(name): unmapped must be fail, passthrough or fixed CODE, not '\(text)'", at: .file(location))
            }
        }
    }

    public func contains(column: String) -> Bool { columns.contains(column) }

    /// Canonical code → the code in `column`.
    public func forward(_ canonical: String, to column: String) -> String? { rows[canonical]?[column] }

    /// A dialect code in `column` → the canonical code.
    public func backward(_ code: String, from column: String) -> String? { reverse[column]?[code] }
}

/// Minimal RFC 4180 field splitting for one line: commas, double quotes, doubled quotes.
enum CSVLine {
    static func split(_ line: String, file: String, line number: Int) throws -> [String] {
        var cells: [String] = []
        var cell = ""
        var quoted = false
        var iterator = Array(line).makeIterator()
        var pendingQuote = false
        while let ch = iterator.next() {
            if quoted {
                if pendingQuote {
                    pendingQuote = false
                    if ch == "\"" { cell.append("\""); continue }
                    quoted = false
                } else if ch == "\"" {
                    pendingQuote = true
                    continue
                } else {
                    cell.append(ch)
                    continue
                }
            }
            switch ch {
            case ",": cells.append(cell); cell = ""
            case "\"" where cell.isEmpty: quoted = true
            case "\r": break
            default: cell.append(ch)
            }
        }
        if quoted && !pendingQuote {
            throw FerryError(.config, "unterminated quote", at: .file(SourceLocation(file: file, line: number, column: line.count)))
        }
        cells.append(cell)
        return cells.map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
