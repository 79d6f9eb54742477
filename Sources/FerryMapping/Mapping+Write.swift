public import FerryCore

extension Mapping {
    /// Writes a canonical record as a system row (column → value), inverting code tables,
    /// formats and joins. Normalising transforms are not inverted: canonical values are
    /// already normal.
    ///
    /// A column several fields read (`SQBH` feeding `application_id` and `ref`) is written
    /// once: fields marked `write: false` leave it alone, an empty field yields to one with a
    /// value, and two different values refuse the record (rule `column`) rather than let one
    /// silently win.
    public func write(_ record: Record) throws -> [String: Value] {
        guard directions.contains(.write) else {
            throw MappingIssue(field: nil, rule: "directions", message: "mapping \(name) only reads (directions: [read])")
        }
        var row = RowBuilder()
        for rule in rules where rule.writes {
            let value = record.fields[rule.field] ?? .null
            if !rule.concat.isEmpty {
                // Split back on the separator: the last column takes whatever remains.
                let parts = value.text.map { $0.components(separatedBy: rule.separator) } ?? []
                for (index, column) in rule.concat.enumerated() {
                    let isLast = index == rule.concat.count - 1
                    let text = isLast ? parts.dropFirst(index).joined(separator: rule.separator) : index < parts.count ? parts[index] : ""
                    try row.set(column, index < parts.count ? .string(text) : .null, by: rule.field)
                }
                continue
            }
            if let path = rule.path {
                // Nested rows get nested values: lists stay lists, not joined text.
                if case .list(let elementType) = rule.spec.type, case .list(let items) = value {
                    try row.set(path, .list(try items.map {
                        try writeScalar($0, type: elementType, rule: rule, translate: rule.eachTranslate, format: rule.eachFormat)
                    }), by: rule.field)
                } else {
                    try row.set(path, value.isNull ? .null : try writeScalar(value, type: rule.spec.type, rule: rule, translate: rule.translate,
                        format: rule.format), by: rule.field)
                }
                continue
            }
            guard let column = rule.column else { continue }
            if value.isNull {
                try row.set(column, .null, by: rule.field)
            } else if case .list(let elementType) = rule.spec.type {
                guard case .list(let items) = value else {
                    throw MappingIssue(field: rule.field, rule: "type", message: "expected a list")
                }
                let texts = try items.map { try writeScalar($0, type: elementType, rule: rule, translate: rule.eachTranslate, format: rule.eachFormat) }
                try row.set(column, .string(texts.compactMap(\.text).joined(separator: rule.join ?? ",")), by: rule.field)
            } else {
                try row.set(column, try writeScalar(value, type: rule.spec.type, rule: rule, translate: rule.translate, format: rule.format), by: rule.field)
                if let nameColumn = rule.documentName, case .document(let reference) = value { try row.set(nameColumn, .string(reference.name), by: rule.field) }
            }
        }
        return row.columns
    }

    func writeScalar(_ value: Value, type: FieldType, rule: FieldRule, translate: FieldRule.Translation?, format: DatePattern?) throws -> Value {
        let field = rule.field
        if let translate {
            let text = value.text ?? ""
            if let code = translate.table.forward(text, to: translate.column) { return .string(code) }
            switch translate.table.unmapped {
            case .passthrough: return .string(text)
            case .fixed(let canonical):
                if let code = translate.table.forward(canonical, to: translate.column) { return .string(code) }
            case .fail: break
            }
            throw MappingIssue(field: field, rule: "translate",
                message: "canonical code '\(text)' has no \(translate.column) code in \(translate.table.name)")
        }
        guard let format, type == .date || type == .timestamp, let text = value.text else { return value }
        let canonical = type == .date ? DatePattern.isoDate : DatePattern.isoTimestamp
        guard let parts = canonical.parse(text) else {
            throw MappingIssue(field: field, rule: "format", message: "'\(text)' is not a canonical \(type == .date ? "date" : "timestamp")")
        }
        guard type == .timestamp else { return .string(format.format(parts)) }
        // A fraction the system's pattern cannot hold is refused, not rounded away, unless the
        // mapping says the system keeps coarser time (fraction: truncate).
        if parts.fraction.count > format.fractionDigits && !rule.truncatesFraction {
            throw MappingIssue(field: field, rule: "format",
                message: "'\(text)' has \(parts.fraction.count) digit(s) of a fraction of a second, which \(format.text) cannot hold; "
                    + "add S to the format (SSS for milliseconds, SSSSSS for microseconds), or fraction: truncate to drop them")
        }
        guard let local = format.fromUTC(parts) else {
            throw MappingIssue(field: field, rule: "format", message: "'\(text)' falls outside the years 0000-9999 in the system's time zone")
        }
        return .string(format.format(local))
    }
}

/// A system row being written, which knows which field set each column so that two fields
/// sharing a column cannot overwrite each other unnoticed.
struct RowBuilder {
    var columns: [String: Value] = [:]
    var writers: [String: String] = [:]

    mutating func set(_ column: String, _ value: Value, by field: String) throws {
        guard let first = writers[column] else {
            columns[column] = value
            writers[column] = field
            return
        }
        if try settle(column, existing: columns[column] ?? .null, first: first, value, by: field) {
            columns[column] = value
            writers[column] = field
        }
    }

    /// Puts `value` at `path`; a value another field already put there must agree with it.
    mutating func set(_ path: ValuePath, _ value: Value, by field: String) throws {
        let place = "path \(path.description)"
        guard let first = writers[place] else {
            path.write(value, into: &columns)
            writers[place] = field
            return
        }
        if try settle(place, existing: path.read(columns), first: first, value, by: field) {
            path.write(value, into: &columns)
            writers[place] = field
        }
    }

    /// Whether `value` replaces what `first` wrote: an empty value yields to a value, equal
    /// values agree, and different values are refused.
    func settle(_ place: String, existing: Value, first: String, _ value: Value, by field: String) throws -> Bool {
        if value.isNull || Self.agree(existing, value) { return false }
        if existing.isNull { return true }
        throw MappingIssue(field: field, rule: "column",
            message: "\(first) and \(field) both write \(place.hasPrefix("path ") ? place : "column \(place)") and their values differ; "
                + "make them agree, or mark the one that must not write it with write: false in the mapping")
    }

    static func agree(_ a: Value, _ b: Value) -> Bool {
        if a == b { return true }
        guard let x = a.text, let y = b.text else { return false }
        return x == y
    }
}
