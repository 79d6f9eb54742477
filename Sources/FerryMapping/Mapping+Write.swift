public import FerryCore

extension Mapping {
    /// Writes a canonical record as a system row (column → value), inverting code tables,
    /// formats and joins. Normalising transforms are not inverted: canonical values are
    /// already normal.
    public func write(_ record: Record) throws -> [String: Value] {
        guard directions.contains(.write) else {
            throw MappingIssue(field: nil, rule: "directions", message: "mapping \(name) only reads (directions: [read])")
        }
        var row: [String: Value] = [:]
        for rule in rules {
            if !rule.concat.isEmpty {
                // Split back on the separator: the last column takes whatever remains.
                let text = record.fields[rule.field]?.text
                let parts = text.map { $0.components(separatedBy: rule.separator) } ?? []
                for (index, column) in rule.concat.enumerated() {
                    if index == rule.concat.count - 1 {
                        let rest = parts.dropFirst(index).joined(separator: rule.separator)
                        row[column] = index < parts.count ? .string(rest) : .null
                    } else {
                        row[column] = index < parts.count ? .string(parts[index]) : .null
                    }
                }
                continue
            }
            if let path = rule.path {
                // Nested rows get nested values: lists stay lists, not joined text.
                let value = record.fields[rule.field] ?? .null
                if case .list(let elementType) = rule.spec.type, case .list(let items) = value {
                    path.write(.list(try items.map {
                        try writeScalar($0, type: elementType, translate: rule.eachTranslate, format: rule.eachFormat, field: rule.field)
                    }), into: &row)
                } else {
                    path.write(value.isNull ? .null : try writeScalar(value, type: rule.spec.type, translate: rule.translate, format: rule.format,
                        field: rule.field), into: &row)
                }
                continue
            }
            guard let column = rule.column else { continue }
            let spec = rule.spec
            let value = record.fields[rule.field] ?? .null
            if value.isNull {
                row[column] = .null
                continue
            }
            if case .list(let elementType) = spec.type {
                guard case .list(let items) = value else {
                    throw MappingIssue(field: rule.field, rule: "type", message: "expected a list")
                }
                let texts = try items.map { try writeScalar($0, type: elementType, translate: rule.eachTranslate, format: rule.eachFormat, field: rule.field) }
                row[column] = .string(texts.compactMap(\.text).joined(separator: rule.join ?? ","))
            } else {
                row[column] = try writeScalar(value, type: spec.type, translate: rule.translate, format: rule.format, field: rule.field)
            }
        }
        return row
    }

    func writeScalar(_ value: Value, type: FieldType, translate: FieldRule.Translation?, format: DatePattern?, field: String) throws -> Value {
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
        if let format, type == .date || type == .timestamp, let text = value.text {
            let canonical = type == .date ? DatePattern.isoDate : DatePattern.isoTimestamp
            guard let parts = canonical.parse(text) else {
                throw MappingIssue(field: field, rule: "format", message: "'\(text)' is not a canonical \(type == .date ? "date" : "timestamp")")
            }
            return .string(format.format(type == .timestamp ? format.fromUTC(parts) : parts))
        }
        return value
    }
}
