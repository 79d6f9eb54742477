import Foundation
import FerryCore

/// Compiles a mapping file against its entity and the code tables, reporting every
/// mistake at its line and column.
struct MappingLoader {
    let root: ConfigNode
    let file: String
    let entity: EntitySchema
    let codes: CodeTables

    func load() throws -> Mapping {
        try root.rejectUnknownKeys(
            ["mapping", "system", "entity", "unmapped_fields", "ignore", "fields", "tests", "title", "directions", "timezone"], in: "the mapping")
        var directions: Set<Mapping.Direction> = [.read, .write]
        let directionsNode = root["directions"]
        if let directionsNode {
            directions = []
            for item in try directionsNode.items("directions") {
                let text = try item.string("directions")
                guard let direction = Mapping.Direction(rawValue: text) else { throw item.error("a direction is read or write, not '\(text)'") }
                directions.insert(direction)
            }
            guard !directions.isEmpty else { throw directionsNode.error("directions needs read, write or both") }
        }
        let entityNode = try root.require("entity", in: "the mapping")
        let entityName = try entityNode.string("entity")
        guard entityName == entity.name else {
            throw entityNode.error("this mapping is for entity \(entityName), but it is used for \(entity.name)",
                hint: "fix the maps: entry in the topology or the entity: line here")
        }
        let unmappedNode = root["unmapped_fields"]
        let unmappedText = try unmappedNode?.string("unmapped_fields") ?? "fail"
        guard let unmapped = Mapping.Unmapped(rawValue: unmappedText) else {
            throw (unmappedNode ?? root).error("unmapped_fields must be fail, drop or keep")
        }
        var rules: [FieldRule] = []
        // One column may feed several fields: reading gives each its copy, and writing
        // settles the column per record (Mapping.write), so nothing here refuses it.
        for entry in try root.require("fields", in: "the mapping").entries("fields") {
            guard let spec = entity.field(entry.key) else {
                throw FerryError(.config, "field '\(entry.key)' is not in entity \(entity.name)", at: .file(entry.keyLocation),
                    hint: "known fields: \(entity.fields.map(\.name).joined(separator: ", "))")
            }
            let rule = try fieldRule(spec, entry.value, at: entry.keyLocation)
            if directions.contains(.write), let lossy = rule.lossy {
                throw FerryError(.config, "field \(spec.name) uses \(lossy), which writing back cannot undo", at: .file(entry.keyLocation),
                    hint: "declare directions: [read] in this mapping (it then only reads), or drop that rule")
            }
            rules.append(rule)
        }
        for part in entity.key + [entity.version]
        where !rules.contains(where: { $0.field == part && ($0.column != nil || $0.path != nil || !$0.concat.isEmpty || $0.defaultValue != nil) }) {
            throw root.error("the mapping does not map \(part), which \(entity.name) needs as its key or version",
                hint: "add '\(part): { column: … }' under fields:")
        }
        var patterns: [String: NSRegularExpressionBox] = [:]
        for spec in entity.fields {
            if let check = spec.check, let regex = try? NSRegularExpression(pattern: check) {
                patterns[spec.name] = NSRegularExpressionBox(regex)
            }
        }
        let ignored = Set(try root["ignore"]?.strings("ignore") ?? [])
        let tests = try (root["tests"]?.items("tests") ?? []).map { try MappingTest.parse($0) }
        return Mapping(
            name: try root["mapping"]?.string("mapping") ?? file, systems: try systems(),
            entity: entity, unmapped: unmapped, ignored: ignored,
            rules: rules, directions: directions, tests: tests, file: file, patterns: patterns,
            knownColumns: Set(rules.flatMap(\.allColumns)).union(ignored))
    }

    /// `system:`: the system, or the systems that run this dialect; never none.
    func systems() throws -> [String] {
        let node = try root.require("system", in: "the mapping")
        let systems = try node.strings("system")
        guard !systems.isEmpty else { throw node.error("system: names no system", hint: "name the system, or list the systems that run this dialect") }
        return systems
    }

    func fieldRule(_ spec: FieldSpec, _ node: ConfigNode, at location: SourceLocation) throws -> FieldRule {
        let what = "field \(spec.name)"
        try node.rejectUnknownKeys(
            [
                "column", "path", "columns", "separator", "when", "transform", "translate", "each", "join", "format", "parse", "zone", "default",
                "write", "fraction", "name_column", "media_type", "require_signature",
            ], in: what)
        let transforms = try (node["transform"]?.items("transform") ?? []).map(Transform.parse)
        let source = try valueSource(spec, node)
        let condition = try node["when"].map(rowCondition)
        var elementType = spec.type
        if case .list(let inner) = spec.type { elementType = inner }
        let isList = elementType != spec.type
        var eachTranslate: FieldRule.Translation?
        var eachFormat: DatePattern?
        if let each = node["each"] {
            guard isList else { throw each.error("'each' applies to list fields; \(spec.name) is not a list") }
            try each.rejectUnknownKeys(["translate", "format"], in: "\(what).each")
            eachTranslate = try translation(each["translate"], for: elementType)
            eachFormat = try each["format"].map(pattern)
        }
        let join = try node["join"]?.string("join")
        if join != nil && !isList { throw try node.require("join", in: what).error("'join' applies to list fields; \(spec.name) is not a list") }
        let format = try dateFormat(spec, node, elementType: elementType)
        let defaultValue = try node["default"]?.string("default")
        if let defaultNode = node["default"], let defaultValue, let min = spec.minCount, isList {
            let count = defaultValue.split(separator: join ?? ",").count
            guard count >= min else {
                throw defaultNode.error("this default gives \(spec.name) \(count) item(s), but the entity asks for at least \(min) (min: \(min))")
            }
        }
        var truncatesFraction = false
        if let fractionNode = node["fraction"] {
            guard try fractionNode.string("fraction") == "truncate" else { throw fractionNode.error("fraction takes one value: truncate") }
            guard elementType == .timestamp, format != nil else { throw fractionNode.error("fraction applies to timestamp fields with a format") }
            truncatesFraction = true
        }
        let readZone = elementType == .timestamp && format == nil ? try unformattedZone() : nil
        var rule = FieldRule(
            field: spec.name, spec: spec, column: source.column, path: source.path, concat: source.concat, separator: source.separator,
            when: condition, transforms: transforms,
            translate: isList ? nil : try translation(node["translate"], for: elementType),
            eachTranslate: eachTranslate, eachFormat: eachFormat ?? (isList ? format : nil),
            format: isList ? nil : format, join: join ?? (isList ? "," : nil),
            defaultValue: defaultValue, writes: try node["write"]?.bool("write") ?? true, truncatesFraction: truncatesFraction,
            location: location)
        rule.readZone = readZone
        if let signatureNode = node["require_signature"] {
            guard spec.type == .document else { throw signatureNode.error("'require_signature' applies to document fields; \(spec.name) is \(spec.type)") }
            rule.requireSignature = try signatureNode.strings("require_signature")
            guard !rule.requireSignature.isEmpty else { throw signatureNode.error("require_signature lists the nodes whose signature is accepted") }
        }
        for option in ["name_column", "media_type"] {
            guard let optionNode = node[option] else { continue }
            guard spec.type == .document else { throw optionNode.error("'\(option)' applies to document fields; \(spec.name) is \(spec.type)") }
            let text = try optionNode.string(option)
            if option == "media_type" {
                guard MediaType.isWellFormed(text) else {
                    throw optionNode.error("media_type '\(text)' is not a media type", hint: "write type/subtype, like application/pdf or application/ofd")
                }
                rule.mediaType = text
            } else {
                rule.documentName = text
            }
        }
        return rule
    }

    /// Where a field's value comes from: one `column`, several `columns` joined by
    /// `separator`, or a `path` into a nested value; at most one of the three.
    func valueSource(_ spec: FieldSpec, _ node: ConfigNode) throws -> (column: String?, concat: [String], path: ValuePath?, separator: String) {
        let column = try node["column"]?.string("column")
        let concat = try node["columns"]?.strings("columns") ?? []
        var path: ValuePath?
        if let pathNode = node["path"] {
            let text = try pathNode.string("path")
            guard column == nil, concat.isEmpty else { throw pathNode.error("give one of column, columns or path") }
            guard let parsed = ValuePath(text) else {
                throw pathNode.error("path '\(text)' is not member.member, member[] or member[N] (one [] at most)")
            }
            var isList = false
            if case .list = spec.type { isList = true }
            if parsed.gathers && !isList {
                throw pathNode.error("path '\(text)' gathers a list ([]), but \(spec.name) is not a list field")
            }
            path = parsed
        }
        if let columnsNode = node["columns"] {
            guard column == nil else { throw columnsNode.error("give column or columns, not both") }
            guard concat.count >= 2 else { throw columnsNode.error("columns joins two or more columns; for one, write column:") }
        }
        let separator = try node["separator"]?.string("separator") ?? ""
        if let separatorNode = node["separator"], concat.isEmpty {
            throw separatorNode.error("separator goes with columns: [a, b]")
        }
        return (column, concat, path, separator)
    }

    /// `when: COLUMN == 'value'` (or `!=`): the rule applies only to rows that match.
    func rowCondition(_ whenNode: ConfigNode) throws -> FieldRule.Condition {
        let text = try whenNode.string("when")
        guard let parsed = EqualityCondition.parse(text) else {
            throw whenNode.error("when '\(text)' must read COLUMN == 'value' or COLUMN != 'value'")
        }
        return .init(column: parsed.name, equals: parsed.equals, literal: parsed.literal, text: text)
    }

    /// A date or timestamp field's `format:` (or `parse:`), with the UTC offset of its
    /// `zone:` or the mapping's `timezone:` for timestamps; nil when the field has none.
    func dateFormat(_ spec: FieldSpec, _ node: ConfigNode, elementType: FieldType) throws -> DatePattern? {
        // `format` reads and writes; `parse` is its synonym for files that only read.
        if let parseNode = node["parse"], node["format"] != nil { throw parseNode.error("give format or parse, not both") }
        let formatNode = node["format"] ?? node["parse"]
        var format = try formatNode.map(pattern)
        if let fieldZone = node["zone"], elementType != .timestamp || format == nil {
            throw fieldZone.error("zone applies to timestamp fields with a format")
        }
        let zoneNode = node["zone"] ?? root["timezone"]
        if let zoneNode, elementType == .timestamp, format != nil {
            let text = try zoneNode.string("zone")
            guard let offset = DatePattern.offset(text) else {
                throw zoneNode.error("'\(text)' is not a UTC offset", hint: "write +08:00 for Beijing time, or Z for UTC")
            }
            format?.utcOffset = offset
        }
        if let formatNode {
            guard elementType == .date || elementType == .timestamp else {
                throw formatNode.error("'format' applies to date and timestamp fields; \(spec.name) is \(elementType)")
            }
        }
        return format
    }

    /// The UTC offset a timestamp without a format is read in when its text has none.
    func unformattedZone() throws -> Int? {
        // Text with no offset is read in the mapping's declared zone; with no zone declared it
        // is refused, since nothing says which wall clock it shows.
        try root["timezone"].map { zone in
            let text = try zone.string("timezone")
            guard let offset = DatePattern.offset(text) else { throw zone.error("'\(text)' is not a UTC offset", hint: "write +08:00 for Beijing time") }
            return offset
        }
    }

    /// A `format:` pattern, refused here with its place in the file when it has a letter
    /// that is no token: otherwise every row would be rejected later.
    func pattern(_ node: ConfigNode) throws -> DatePattern {
        let text = try node.string("format")
        do {
            return try DatePattern(validating: text)
        } catch {
            throw node.error("format '\(text)': \(error.message)", hint: error.hint)
        }
    }

    /// `translate: TABLE.COLUMN` against a code field's own table.
    func translation(_ node: ConfigNode?, for type: FieldType) throws -> FieldRule.Translation? {
        guard let node else { return nil }
        let text = try node.string("translate")
        let parts = text.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2 else {
            throw node.error("translate '\(text)' must be TABLE.COLUMN", hint: "for example gender.gbt2261")
        }
        let table = try codes.table(parts[0], at: node.location)
        guard table.contains(column: parts[1]) else {
            throw node.error("code table \(parts[0]) has no column '\(parts[1])'", hint: "columns: \(table.columns.joined(separator: ", "))")
        }
        if case .code(let expected) = type, expected != parts[0] {
            throw node.error("translate uses table \(parts[0]) but the field's codes come from \(expected)")
        }
        return FieldRule.Translation(table: table, column: parts[1])
    }
}
