import FerryCore

extension ConfigNode {
    /// The node as JSON for a program's configuration: plain scalars typed by the YAML 1.2
    /// core schema (`1000` a number, `true` a boolean, `~` null), quoted and block scalars
    /// kept as text (`"1000"` stays the string "1000").
    ///
    /// YAML 1.1's `yes`/`no`/`on`/`off` stay text: a country code `NO` must not turn into
    /// false. Numbers keep their digits exactly (`.int`, or `.decimal` text in JSON's
    /// grammar); `.inf` and `.nan`, which JSON cannot hold, stay text.
    var jsonValue: Value {
        switch kind {
        case .null: return .null
        case .scalar(let text): return isQuoted ? .string(text) : YAMLCoreSchema.resolve(text)
        case .sequence(let items): return .list(items.map(\.jsonValue))
        case .mapping(let entries):
            return .object(Dictionary(entries.map { ($0.key, $0.value.jsonValue) }, uniquingKeysWith: { first, _ in first }))
        }
    }
}

/// Tags of plain scalars by the YAML 1.2 core schema (yaml.org/spec/1.2.2, 10.3.2).
enum YAMLCoreSchema {
    static func resolve(_ text: String) -> Value {
        switch text {
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case "null", "Null", "NULL", "~", "": return .null
        default: break
        }
        if let number = integer(text) ?? float(text) { return number }
        return .string(text)
    }

    /// `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`; too large for 64 bits keeps its digits.
    static func integer(_ text: String) -> Value? {
        if text.hasPrefix("0o") || text.hasPrefix("0x") {
            let digits = text.dropFirst(2)
            guard !digits.isEmpty, let value = Int64(digits, radix: text.hasPrefix("0o") ? 8 : 16) else { return nil }
            return .int(value)
        }
        var body = Substring(text)
        var negative = false
        if let sign = body.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            body = body.dropFirst()
        }
        guard !body.isEmpty, body.allSatisfy(\.isASCIIDigit) else { return nil }
        let digits = body.drop { $0 == "0" }
        let exact = (negative && !digits.isEmpty ? "-" : "") + (digits.isEmpty ? "0" : String(digits))
        return Int64(exact).map(Value.int) ?? .decimal(exact)
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, rewritten in JSON's number
    /// grammar (`.5` → `0.5`, `1.` → `1.0`, `+2e3` → `2e3`) with its digits unchanged.
    static func float(_ text: String) -> Value? {
        var rest = Substring(text)
        var sign = ""
        if let first = rest.first, first == "-" || first == "+" {
            sign = first == "-" ? "-" : ""
            rest = rest.dropFirst()
        }
        let whole = rest.prefix(while: \.isASCIIDigit)
        rest = rest.dropFirst(whole.count)
        var fraction: Substring = ""
        let pointed = rest.first == "."
        if pointed {
            rest = rest.dropFirst()
            fraction = rest.prefix(while: \.isASCIIDigit)
            rest = rest.dropFirst(fraction.count)
        }
        guard !whole.isEmpty || !fraction.isEmpty else { return nil }
        var exponent = ""
        if let e = rest.first, e == "e" || e == "E" {
            rest = rest.dropFirst()
            var expSign = ""
            if let s = rest.first, s == "-" || s == "+" {
                expSign = s == "-" ? "-" : ""
                rest = rest.dropFirst()
            }
            let digits = rest.prefix(while: \.isASCIIDigit)
            guard !digits.isEmpty else { return nil }
            rest = rest.dropFirst(digits.count)
            exponent = "e" + expSign + digits
        }
        guard rest.isEmpty else { return nil }
        let integral = whole.drop { $0 == "0" }
        let text = sign + (integral.isEmpty ? "0" : String(integral)) + (pointed ? "." + (fraction.isEmpty ? "0" : fraction) : "") + exponent
        return .decimal(text)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
