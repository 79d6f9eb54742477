/// Typed access to config nodes; every failure is a located error with a hint.
extension ConfigNode {
    public var isNull: Bool { if case .null = kind { return true } else { return false } }

    /// The node as an untyped value: scalars stay text (typing them is the reader's job),
    /// sequences become lists and mappings objects.
    public var value: Value {
        switch kind {
        case .null: return .null
        case .scalar(let text): return .string(text)
        case .sequence(let items): return .list(items.map(\.value))
        case .mapping(let entries): return .object(Dictionary(entries.map { ($0.key, $0.value.value) }, uniquingKeysWith: { first, _ in first }))
        }
    }

    public func error(_ message: String, hint: String? = nil, code: FerryError.Code = .config) -> FerryError {
        FerryError(code, message, at: .file(location), hint: hint)
    }

    /// The scalar text, or an error naming what was expected.
    public func string(_ what: String) throws -> String {
        guard case .scalar(let text) = kind else { throw error("\(what) must be a single value") }
        return text
    }

    public func int(_ what: String) throws -> Int {
        guard case .scalar(let text) = kind, let value = Int(text) else {
            throw error("\(what) must be a whole number")
        }
        return value
    }

    public func bool(_ what: String) throws -> Bool {
        guard case .scalar(let text) = kind else { throw error("\(what) must be true or false") }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error("\(what) must be true or false, not '\(text)'")
        }
    }

    /// The entries of a mapping, in file order.
    public func entries(_ what: String) throws -> [Entry] {
        if case .null = kind { return [] }
        guard case .mapping(let entries) = kind else { throw error("\(what) must be a mapping of names to values") }
        return entries
    }

    /// The items of a sequence; a single scalar counts as a one-item list.
    public func items(_ what: String) throws -> [ConfigNode] {
        switch kind {
        case .null: return []
        case .sequence(let nodes): return nodes
        case .scalar: return [self]
        case .mapping: throw error("\(what) must be a list")
        }
    }

    /// Strings from a list (or a single string).
    public func strings(_ what: String) throws -> [String] {
        try items(what).map { try $0.string(what) }
    }

    /// The value under `key`, if this is a mapping that has it.
    public subscript(key: String) -> ConfigNode? {
        guard case .mapping(let entries) = kind else { return nil }
        return entries.first { $0.key == key }?.value
    }

    /// The value under `key`, or an error saying it is missing.
    public func require(_ key: String, in what: String) throws -> ConfigNode {
        guard case .mapping = kind else { throw error("\(what) must be a mapping") }
        guard let value = self[key] else {
            throw error("\(what) is missing '\(key)'", hint: "add '\(key):' to \(what)")
        }
        return value
    }

    /// Rejects keys outside `allowed`, pointing at the first unknown one; typos are the
    /// commonest config mistake and silently ignoring them hides it.
    public func rejectUnknownKeys(_ allowed: Set<String>, in what: String) throws {
        guard case .mapping(let entries) = kind else { return }
        for entry in entries where !allowed.contains(entry.key) {
            let suggestion = allowed.min { a, b in
                Self.distance(a, entry.key) < Self.distance(b, entry.key)
            }
            var hint = "allowed keys are: \(allowed.sorted().joined(separator: ", "))"
            if let suggestion, Self.distance(suggestion, entry.key) <= 2 { hint = "did you mean '\(suggestion)'?" }
            throw FerryError(.config, "unknown key '\(entry.key)' in \(what)", at: .file(entry.keyLocation), hint: hint)
        }
    }

    /// Plain text of a YAML subtree as Swift values, for adapter options and test data.
    public var plain: PlainValue {
        switch kind {
        case .null: return .null
        case .scalar(let text): return .text(text)
        case .sequence(let nodes): return .list(nodes.map(\.plain))
        case .mapping(let entries): return .map(entries.map { ($0.key, $0.value.plain) })
        }
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var row = Array(0...b.count)
        for i in 1...a.count {
            var previous = row[0]
            row[0] = i
            for j in 1...b.count {
                let old = row[j]
                row[j] = a[i - 1] == b[j - 1] ? previous : min(previous, row[j], row[j - 1]) + 1
                previous = old
            }
        }
        return row[b.count]
    }
}

/// Untyped YAML content without positions.
public enum PlainValue: Sendable, Equatable {
    case null
    case text(String)
    case list([PlainValue])
    case map([(String, PlainValue)])

    public static func == (lhs: PlainValue, rhs: PlainValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.text(let a), .text(let b)): return a == b
        case (.list(let a), .list(let b)): return a == b
        case (.map(let a), .map(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }
}
