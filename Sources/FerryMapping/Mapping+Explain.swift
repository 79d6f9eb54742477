import FerryCore

extension Mapping {
    /// The compiled rules, one row per canonical field, for `ferry mapping explain`.
    public static let explanationHeader = ["field", "type", "column", "read rules", "write", "checks"]

    public var explanation: [[String]] {
        rules.map { rule in
            let spec = rule.spec
            var source = rule.column ?? rule.path?.description ?? "-"
            if !rule.concat.isEmpty { source = rule.concat.joined(separator: " + ") + (rule.separator.isEmpty ? "" : " (joined by '\(rule.separator)')") }
            var steps: [String] = []
            if let condition = rule.when { steps.append("when \(condition.text)") }
            if let fallback = rule.defaultValue { steps.append("default '\(fallback)'") }
            steps += rule.transforms.map(\.summary)
            if let translate = rule.translate ?? rule.eachTranslate {
                steps.append("translate \(translate.table.name).\(translate.column) (unknown: \(translate.table.unmapped.summary))")
            }
            if let format = rule.format ?? rule.eachFormat {
                steps.append("format \(format.text)" + (rule.truncatesFraction ? " (fraction: truncate)" : ""))
            }
            if let join = rule.join { steps.append("split/join '\(join)'") }
            let write = !directions.contains(.write) ? "no" : !rule.writes ? "no (write: false)"
                : rule.transforms.contains { $0.invertible } ? "yes (normalisers skipped)" : "yes"
            var checks: [String] = []
            if spec.required { checks.append("required") }
            if spec.personal { checks.append("personal") }
            if let check = spec.check { checks.append("check /\(check)/") }
            checks += spec.validators
            if let allowed = spec.allowed { checks.append("enum \(allowed.joined(separator: "|"))") }
            if let range = spec.range { checks.append("range [\(range.low ?? ""), \(range.high ?? "")]") }
            if let max = spec.maxLength { checks.append("max \(max)") }
            if let min = spec.minCount { checks.append("min \(min)") }
            if spec.compareIgnored { checks.append("compare: ignore") }
            return [rule.field, spec.type.description, source, steps.isEmpty ? "-" : steps.joined(separator: "; "), write,
                checks.isEmpty ? "-" : checks.joined(separator: ", ")]
        }
    }
}

extension CodeTable.UnmappedPolicy {
    public var summary: String {
        switch self {
        case .fail: "fail"
        case .passthrough: "passthrough"
        case .fixed(let code): "fixed \(code)"
        }
    }
}

extension FieldType: CustomStringConvertible {
    public var description: String {
        switch self {
        case .string: "string"
        case .int: "int"
        case .decimal: "decimal"
        case .bool: "bool"
        case .date: "date"
        case .timestamp: "timestamp"
        case .bytes: "bytes"
        case .document: "document"
        case .code(let table): "code(\(table))"
        case .list(let element): "list(\(element))"
        }
    }
}
