public import Foundation
import FerryCore

/// A canonical entity: the one form every system's mapping reads into and writes from.
public struct EntitySchema: Sendable {
    public var name: String
    public var key: [String]
    public var version: String
    public var fields: [FieldSpec] { didSet { layout = CanonicalLayout(fields) } }
    public var rules: [RecordRule]
    public var file: String
    /// The fields in canonical order, worked out once: every record digest walks them.
    private(set) var layout: CanonicalLayout

    public init(name: String, key: [String], version: String, fields: [FieldSpec], rules: [RecordRule], file: String) {
        (self.name, self.key, self.version, self.fields, self.rules, self.file) = (name, key, version, fields, rules, file)
        layout = CanonicalLayout(fields)
    }

    public func field(_ name: String) -> FieldSpec? { fields.first { $0.name == name } }

    /// Fields whose values must never reach a log in plain text.
    public var personalFields: Set<String> { Set(fields.filter(\.personal).map(\.name)) }

    public static func load(_ url: URL, codes: CodeTables) throws -> EntitySchema {
        let root = try ConfigNode.load(file: url, displayName: url.path)
        return try parse(root, file: url.path, codes: codes)
    }

    static func parse(_ root: ConfigNode, file: String, codes: CodeTables) throws -> EntitySchema {
        try root.rejectUnknownKeys(["entity", "key", "version", "fields", "validate", "conflict", "title"], in: "the entity")
        let name = try root.require("entity", in: "the entity").string("entity")
        let conflict = try root["conflict"].map(policy) ?? .latest
        var fields: [FieldSpec] = []
        for entry in try root.require("fields", in: "the entity").entries("fields") {
            var spec = try parseField(entry.key, entry.value, at: entry.keyLocation, codes: codes)
            spec.conflict = try entry.value["conflict"].map(policy) ?? conflict
            fields.append(spec)
        }
        let names = Set(fields.map(\.name))
        let keyNode = try root.require("key", in: "the entity")
        let key = try keyNode.strings("key")
        for part in key where !names.contains(part) {
            throw keyNode.error("key field '\(part)' is not declared under fields:")
        }
        guard !key.isEmpty else { throw keyNode.error("the key must name at least one field") }
        let versionNode = try root.require("version", in: "the entity")
        let version = try versionNode.string("version")
        guard names.contains(version) else { throw versionNode.error("version field '\(version)' is not declared under fields:") }

        var rules: [RecordRule] = []
        for item in try root["validate"]?.items("validate") ?? [] {
            try item.rejectUnknownKeys(["rule", "message"], in: "a validate rule")
            let ruleNode = try item.require("rule", in: "a validate rule")
            let text = try ruleNode.string("rule")
            guard let op = RecordRule.Operator.allCases.first(where: { text.contains(" \($0.rawValue) ") }) else {
                throw ruleNode.error("rule '\(text)' has no comparison", hint: "write 'field OP field' with OP one of >= <= > < == !=, spaces around it")
            }
            let sides = text.components(separatedBy: " \(op.rawValue) ").map { $0.trimmingCharacters(in: .whitespaces) }
            for side in sides where !side.hasPrefix("'") && !names.contains(side) {
                throw ruleNode.error("rule '\(text)' names unknown field '\(side)'", hint: "quote literals: 'value'")
            }
            rules.append(RecordRule(
                left: sides[0], op: op, right: sides[1],
                message: try item["message"]?.string("message") ?? "rule \(text) fails", text: text, location: ruleNode.location))
        }
        return EntitySchema(name: name, key: key, version: version, fields: fields, rules: rules, file: file)
    }

    static func policy(_ node: ConfigNode) throws -> ConflictPolicy {
        let text = try node.string("conflict")
        guard let policy = ConflictPolicy(rawValue: text) else {
            throw node.error("conflict is latest, authority or none, not '\(text)'",
                hint: "latest: newer version wins; authority: national > provincial > municipal > district; none: raise a case")
        }
        return policy
    }

    static func parseField(_ name: String, _ node: ConfigNode, at location: SourceLocation, codes: CodeTables) throws -> FieldSpec {
        let what = "field \(name)"
        try node.rejectUnknownKeys(
            [
                "type", "table", "each", "required", "personal", "check", "validate", "max", "min", "compare", "tolerance", "enum", "range",
                "conflict", "title",
            ], in: what)
        let type = try parseType(node, what: what, codes: codes)
        var elementType = type
        if case .list(let inner) = type { elementType = inner }
        var codeTable: CodeTable?
        if case .code(let table) = elementType { codeTable = try codes.table(table, at: location) }
        var validators: [String] = []
        if let validateNode = node["validate"] {
            validators = try validateNode.strings("validate")
            for validator in validators where !Validators.names.contains(validator) {
                throw validateNode.error("unknown validator '\(validator)'", hint: "known: \(Validators.names.joined(separator: ", "))")
            }
        }
        let check = try node["check"]?.string("check")
        if let check, let checkNode = node["check"] {
            do { _ = try NSRegularExpression(pattern: check) } catch {
                throw checkNode.error("check '\(check)' is not a valid regular expression")
            }
        }
        var compareIgnored = false
        if let compareNode = node["compare"] {
            let compare = try compareNode.string("compare")
            guard ["ignore", "exact"].contains(compare) else {
                throw compareNode.error("compare must be 'ignore' or 'exact', not '\(compare)'")
            }
            compareIgnored = compare == "ignore"
        }
        var tolerance: String?
        if let toleranceNode = node["tolerance"] {
            let text = try toleranceNode.string("tolerance")
            guard type == .int || type == .decimal, let amount = Double(text), amount >= 0 else {
                throw toleranceNode.error("tolerance is a non-negative number, on int and decimal fields only")
            }
            tolerance = text
        }
        let allowed = try node["enum"]?.strings("enum")
        if let enumNode = node["enum"], allowed?.isEmpty != false { throw enumNode.error("enum lists at least one value") }
        var range: (String?, String?)?
        if let rangeNode = node["range"] {
            let bounds = try rangeNode.items("range").map { $0.isNull ? "" : try $0.string("range") }
            guard bounds.count == 2 else { throw rangeNode.error("range is [low, high]; leave one empty for no bound, like [\"2000-01-01\", \"\"]") }
            let check: (String) -> Bool
            switch elementType {
            case .int, .decimal: check = { (try? DecimalText.plain($0)) != nil }
            case .date: check = { DatePattern.isoDate.parse($0) != nil }
            case .timestamp: check = { DatePattern.isoTimestamp.parse($0) != nil }
            default: throw rangeNode.error("range applies to int, decimal, date and timestamp fields; \(name) is \(elementType)")
            }
            for bound in bounds where !bound.isEmpty && !check(bound) {
                throw rangeNode.error("range bound '\(bound)' is not a \(elementType) (dates are YYYY-MM-DD, timestamps YYYY-MM-DDTHH:MM:SSZ)")
            }
            range = (bounds[0].isEmpty ? nil : bounds[0], bounds[1].isEmpty ? nil : bounds[1])
        }
        return FieldSpec(
            name: name, type: type, required: try node["required"]?.bool("required") ?? false,
            personal: try node["personal"]?.bool("personal") ?? false, check: check, validators: validators,
            maxLength: try node["max"]?.int("max"), minCount: try node["min"]?.int("min"), codeTable: codeTable,
            allowed: allowed, range: range, compareIgnored: compareIgnored, tolerance: tolerance, location: location)
    }

    static func parseType(_ node: ConfigNode, what: String, codes: CodeTables) throws -> FieldType {
        let typeNode = try node.require("type", in: what)
        switch try typeNode.string("type") {
        case "string": return .string
        case "int": return .int
        case "decimal": return .decimal
        case "bool": return .bool
        case "date": return .date
        case "timestamp": return .timestamp
        case "bytes": return .bytes
        case "document": return .document
        case "code":
            let tableNode = try node.require("table", in: what)
            let table = try tableNode.string("table")
            _ = try codes.table(table, at: tableNode.location)
            return .code(table: table)
        case "list":
            let each = try node.require("each", in: what)
            return .list(of: try parseType(each, what: "\(what).each", codes: codes))
        case let other:
            throw typeNode.error("unknown type '\(other)'", hint: "use one of: \(FieldType.scalarNames.joined(separator: ", "))")
        }
    }
}
