import Foundation
public import FerryCore

extension Mapping {
    /// The column a source sets to `delete` on a row that reports a deletion (change
    /// capture); such a row carries only the key and version columns.
    public static let operationColumn = "_op"

    /// Reads one system row (column → value) into a canonical record, or explains why not.
    public func read(_ row: [String: Value]) -> MappedRow {
        if row[Self.operationColumn]?.text == "delete" { return readDeletion(row) }
        var fields: [String: Value] = [:]
        var issues: [MappingIssue] = []
        for rule in rules {
            do {
                fields[rule.field] = try readField(rule, row)
            } catch var issue as MappingIssue {
                if issue.location == nil { issue.location = rule.location }
                issues.append(issue)
            } catch {
                issues.append(MappingIssue(field: rule.field, rule: "read", message: "\(error)"))
            }
        }
        let extra = row.keys.filter { !knownColumns.contains($0) && $0 != Self.operationColumn }.sorted()
        if !extra.isEmpty {
            switch unmapped {
            case .fail:
                issues.append(MappingIssue(field: nil, rule: "unmapped_fields",
                    message: "columns not in the mapping: \(extra.joined(separator: ", ")) (map them, list them under ignore:, or set unmapped_fields: drop)"))
            case .drop: break
            case .keep: fields["_unmapped"] = .object(Dictionary(uniqueKeysWithValues: extra.map { ($0, row[$0] ?? .null) }))
            }
        }
        issues += entity.validate(fields, patterns: patterns)
        guard issues.isEmpty else { return .rejected(key: displayKey(fields), issues: issues) }
        let key = entity.key.map { fields[$0]?.text ?? "" }
        let version = fields[entity.version]?.text ?? ""
        return .record(Record(entity: entity.name, key: key, version: version, fields: fields.filter { !$0.value.isNull }))
    }

    /// A deletion: the key and version read as usual, nothing else required.
    func readDeletion(_ row: [String: Value]) -> MappedRow {
        var fields: [String: Value] = [:]
        var issues: [MappingIssue] = []
        for part in entity.key + [entity.version] {
            guard let rule = rule(for: part) else { continue }
            do {
                fields[part] = try readField(rule, row)
            } catch var issue as MappingIssue {
                if issue.location == nil { issue.location = rule.location }
                issues.append(issue)
            } catch {
                issues.append(MappingIssue(field: part, rule: "read", message: "\(error)"))
            }
        }
        for part in entity.key where (fields[part] ?? .null).isNull {
            issues.append(MappingIssue(field: part, rule: "required", message: "a deletion needs its key", at: entity.field(part)?.location))
        }
        guard issues.isEmpty else { return .rejected(key: displayKey(fields), issues: issues) }
        return .record(Record(
            entity: entity.name, key: entity.key.map { fields[$0]?.text ?? "" }, version: fields[entity.version]?.text ?? "",
            operation: .delete, fields: fields.filter { !$0.value.isNull }))
    }

    func readField(_ rule: FieldRule, _ row: [String: Value]) throws -> Value {
        let spec = rule.spec
        var raw: Value
        if let condition = rule.when, !condition.holds(row) {
            raw = .null
        } else if !rule.concat.isEmpty {
            let parts = rule.concat.compactMap { row[$0]?.text }.filter { !$0.isEmpty }
            raw = parts.isEmpty ? .null : .string(parts.joined(separator: rule.separator))
        } else if let path = rule.path {
            raw = path.read(row)
        } else {
            raw = rule.column.flatMap { row[$0] } ?? .null
        }
        // A list kept as text: blank text is the empty list (what writing [] leaves), which is
        // present and held to min:, not an absence.
        if case .list = spec.type, case .string(let s) = raw, s.isBlankText { return .list([]) }
        // An empty string is a value, not an absence: a text field cleared at the source stays
        // cleared at the target, and a NOT NULL DEFAULT '' column still takes it. Only fields
        // whose type cannot hold blank text (numbers, dates, codes) read it as no value.
        let blank: Bool
        if case .string(let s) = raw, s.isBlankText { blank = true } else { blank = false }
        if blank, spec.type != .string || rule.translate != nil { raw = .null }
        if raw.isNull, let fallback = rule.defaultValue { raw = .string(fallback) }
        if raw.isNull { return .null }
        switch (spec.type, raw) {
        case (.document, _): return try readDocument(raw, rule, row)
        case (.bytes, .bytes): return raw
        case (.bytes, .string(let text)):
            guard let data = Data(base64Encoded: text) else {
                throw MappingIssue(field: rule.field, rule: "type", message: "a bytes field reads a BLOB, or base64 text; this text is not base64")
            }
            return .bytes(data)
        case (.bytes, _):
            throw MappingIssue(field: rule.field, rule: "type", message: "a bytes field reads a BLOB, or base64 text")
        case (.string, .bytes(let data)):
            // What a BLOB read into a text field has always been: its base64 text.
            return .string(data.base64EncodedString())
        default: break
        }
        if case .list(let elementType) = spec.type {
            let items: [Value]
            switch raw {
            case .list(let values): items = values
            default:
                let text = raw.text ?? ""
                items = text.split(separator: rule.join ?? ",").map { Value.string(String($0)) }
            }
            return .list(try items.map { item in
                try convert(item, to: elementType, transforms: rule.transforms, translate: rule.eachTranslate, format: rule.eachFormat, field: rule.field,
                    personal: spec.personal)
            })
        }
        return try convert(raw, to: spec.type, transforms: rule.transforms, translate: rule.translate, format: rule.format, field: rule.field,
            personal: spec.personal, zone: rule.readZone)
    }

    /// A document field: a reference the source adapter made (a file named in a folder
    /// source's `documents:` column), or a BLOB's bytes, which the node stores and digests
    /// before the record is queued. The name comes from `name_column`, the file's own name,
    /// or the field's name; the media type from `media_type`, or the node sniffs it.
    func readDocument(_ raw: Value, _ rule: FieldRule, _ row: [String: Value]) throws -> Value {
        var reference: DocumentRef
        switch raw {
        case .document(let given): reference = given
        case .bytes(let data): reference = DocumentRef(size: Int64(data.count), mediaType: "", name: "", content: data)
        default:
            throw MappingIssue(field: rule.field, rule: "type",
                message: "a document field reads a BLOB column, or a column that a folder source lists under documents:; this is neither")
        }
        if let column = rule.documentName, let name = row[column]?.text, !name.isEmpty { reference.name = name }
        if reference.name.isEmpty { reference.name = rule.field }
        if let mediaType = rule.mediaType { reference.mediaType = mediaType }
        return .document(reference)
    }

    func convert(
        _ raw: Value, to type: FieldType, transforms: [Transform], translate: FieldRule.Translation?, format: DatePattern?,
        field: String, personal: Bool, zone: Int? = nil
    ) throws -> Value {
        guard var text = raw.text else {
            throw MappingIssue(field: field, rule: "type", message: "expected a single value, found a nested one")
        }
        let wasBlank = text.isBlankText
        for transform in transforms { text = transform.apply(text) }
        // A transform that leaves nothing of real text (an extract that found nothing) leaves
        // no value; blank text trimmed stays the empty string it was.
        if text.isEmpty && !transforms.isEmpty && !wasBlank { return .null }
        // Messages quote the value only masked when the field is personal.
        var shown: String { personal ? Masking.mask(text) : text }
        if let issue = ControlCharacters.issue(in: text, field: field) { throw issue }
        if let translate {
            if let canonical = translate.table.backward(text, from: translate.column) {
                text = canonical
            } else {
                switch translate.table.unmapped {
                case .fail:
                    throw MappingIssue(field: field, rule: "translate",
                        message: "code '\(shown)' is not in \(translate.table.name).\(translate.column)")
                case .passthrough: break
                case .fixed(let canonical): text = canonical
                }
            }
        }
        switch type {
        case .string, .code: return .string(text)
        case .int:
            if case .int = raw, transforms.isEmpty { return raw }
            return try ValueReading.int(text, shown: shown, field: field)
        case .decimal:
            return try ValueReading.decimal(text, shown: shown, field: field)
        case .bool:
            switch text.lowercased() {
            case "1", "true", "y", "yes", "是": return .bool(true)
            case "0", "false", "n", "no", "否": return .bool(false)
            default: throw MappingIssue(field: field, rule: "type", message: "'\(shown)' is not true or false")
            }
        case .date, .timestamp:
            return try ValueReading.time(text, timestamp: type == .timestamp, format: format, shown: shown, field: field, zone: zone)
        case .list:
            throw MappingIssue(field: field, rule: "type", message: "lists of lists are not supported")
        case .bytes, .document:
            throw MappingIssue(field: field, rule: "type", message: "lists of bytes or documents are not supported; give each its own field")
        }
    }
}

extension EntitySchema {
    /// Inclusive bounds: numbers compare exactly as numbers (never through Double), canonical
    /// timestamps by instant (a fraction of a second breaks text order), dates as text.
    static func within(_ text: String, _ range: (low: String?, high: String?), type: FieldType) -> Bool {
        let order: (String, String) -> Int?
        switch type {
        case .int, .decimal: order = DecimalText.compare
        case .timestamp: order = DatePattern.compareCanonical
        default: order = { $0 == $1 ? 0 : $0 < $1 ? -1 : 1 }
        }
        let aboveLow = range.low.map { order(text, $0).map { $0 >= 0 } ?? false } ?? true
        let belowHigh = range.high.map { order(text, $0).map { $0 <= 0 } ?? false } ?? true
        return aboveLow && belowHigh
    }

    /// The entity's own rules over a canonical record's fields.
    func validate(_ fields: [String: Value], patterns: [String: NSRegularExpressionBox]) -> [MappingIssue] {
        var issues: [MappingIssue] = []
        for spec in self.fields { check(spec, in: fields, patterns: patterns, into: &issues) }
        for rule in rules {
            func operand(_ side: String) -> String? {
                side.hasPrefix("'") ? String(side.dropFirst().dropLast()) : fields[side]?.text
            }
            guard let left = operand(rule.left), let right = operand(rule.right) else { continue }
            // Numbers exactly as numbers, timestamps by instant, anything else as text.
            let holds: Bool
            if let order = DecimalText.compare(left, right) ?? DatePattern.compareCanonical(left, right) {
                holds = rule.op.holds(order, 0)
            } else {
                holds = rule.op.holds(left, right)
            }
            if !holds { issues.append(MappingIssue(field: rule.left, rule: rule.text, message: rule.message, at: rule.location)) }
        }
        // Field checks are written in the entity file, at the field's line.
        return issues.map { issue in
            var located = issue
            if located.location == nil, let name = issue.field { located.location = field(name)?.location }
            return located
        }
    }

    /// One field's own checks (required, min, max, check, enum, range, validators, code).
    private func check(_ spec: FieldSpec, in fields: [String: Value], patterns: [String: NSRegularExpressionBox], into issues: inout [MappingIssue]) {
        let value = fields[spec.name] ?? .null
        // Required means present and not empty text: a key, a version or a required field
        // of '' names nothing.
        if value.isNull || (value == .string("") && (spec.required || key.contains(spec.name) || spec.name == version)) {
            if spec.required || key.contains(spec.name) || spec.name == version {
                issues.append(MappingIssue(field: spec.name, rule: "required", message: "is required"))
            }
            return
        }
        var elementType = spec.type
        if case .list(let inner) = spec.type { elementType = inner }
        guard case .list(let items) = value else { return checkItem(value) }
        if let min = spec.minCount, items.count < min {
            issues.append(MappingIssue(field: spec.name, rule: "min", message: "needs at least \(min) item(s), has \(items.count)"))
        }
        for item in items { checkItem(item) }

        // A single value, or one item of a list (no one-element array made per value).
        func checkItem(_ item: Value) {
            guard let text = item.text else { return }
            // Masked only when a message quotes it: most values pass every check.
            var shown: String { spec.personal ? Masking.mask(text) : text }
            if let max = spec.maxLength, text.count > max {
                issues.append(MappingIssue(field: spec.name, rule: "max", message: "is \(text.count) characters, at most \(max) allowed"))
            }
            if let regex = patterns[spec.name], !regex.matchesWhole(text) {
                issues.append(MappingIssue(field: spec.name, rule: "check", message: "'\(shown)' does not match \(spec.check ?? "")"))
            }
            if let allowed = spec.allowed, !allowed.contains(text) {
                issues.append(MappingIssue(field: spec.name, rule: "enum", message: "'\(shown)' is not one of \(allowed.joined(separator: ", "))"))
            }
            if let range = spec.range, !Self.within(text, range, type: elementType) {
                issues.append(MappingIssue(field: spec.name, rule: "range",
                    message: "'\(shown)' is outside [\(range.low ?? ""), \(range.high ?? "")]"))
            }
            for validator in spec.validators where !Validators.check(validator, text) {
                issues.append(MappingIssue(field: spec.name, rule: validator, message: "'\(shown)' \(Validators.reason(validator, text))"))
            }
            if case .code(let tableName) = elementType, let table = spec.codeTable, table.unmapped != .passthrough, !table.isCanonical(text) {
                issues.append(MappingIssue(field: spec.name, rule: "code", message: "'\(shown)' is not a code of \(tableName)"))
            }
        }
    }
}
