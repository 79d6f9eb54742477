public import FerryCore

/// `applicant.name`, `trips[].country`, `contacts[0].phone`: where a value sits inside
/// the nested objects and arrays of a JSON-shaped row (REST and NDJSON systems).
public struct ValuePath: Sendable, CustomStringConvertible {
    public enum Step: Sendable, Equatable {
        case member(String)
        /// Every element: the value becomes a list.
        case each
        case index(Int)
    }

    public let steps: [Step]
    public let description: String

    /// The row column the path starts in.
    public var root: String {
        if case .member(let name) = steps.first { return name }
        return ""
    }

    /// Whether the path gathers a list (`[]` somewhere).
    public var gathers: Bool { steps.contains(.each) }

    public init?(_ text: String) {
        var steps: [Step] = []
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            var name = Substring(part)
            var suffixes: [Step] = []
            while name.hasSuffix("]"), let open = name.lastIndex(of: "[") {
                let inside = name[name.index(after: open)..<name.index(before: name.endIndex)]
                if inside.isEmpty {
                    suffixes.insert(.each, at: 0)
                } else if let index = Int(inside), index >= 0 {
                    suffixes.insert(.index(index), at: 0)
                } else {
                    return nil
                }
                name = name[..<open]
            }
            guard !name.isEmpty, !name.contains("["), !name.contains("]") else { return nil }
            steps.append(.member(String(name)))
            steps += suffixes
        }
        guard !steps.isEmpty, steps.filter({ $0 == .each }).count <= 1 else { return nil }
        self.steps = steps
        description = text
    }

    /// The value at the path, null where anything along it is missing.
    public func read(_ row: [String: Value]) -> Value {
        Self.read(.object(row), steps[...])
    }

    static func read(_ value: Value, _ steps: ArraySlice<Step>) -> Value {
        guard let step = steps.first else { return value }
        let rest = steps.dropFirst()
        switch (step, value) {
        case (.member(let name), .object(let members)): return read(members[name] ?? .null, rest)
        case (.index(let index), .list(let items)): return index < items.count ? read(items[index], rest) : .null
        case (.each, .list(let items)): return .list(items.map { read($0, rest) })
        default: return .null
        }
    }

    /// Puts `value` at the path in `row`, creating objects and arrays on the way and keeping
    /// what other paths put there (`trips[].country` and `trips[].days` fill one array).
    public func write(_ value: Value, into row: inout [String: Value]) {
        var top: Value = .object(row)
        Self.write(value, at: steps[...], into: &top)
        if case .object(let members) = top { row = members }
    }

    static func write(_ value: Value, at steps: ArraySlice<Step>, into target: inout Value) {
        guard let step = steps.first else {
            target = value
            return
        }
        let rest = steps.dropFirst()
        switch step {
        case .member(let name):
            var members: [String: Value] = [:]
            if case .object(let existing) = target { members = existing }
            var child = members[name] ?? .null
            write(value, at: rest, into: &child)
            members[name] = child
            target = .object(members)
        case .index(let index):
            var items: [Value] = []
            if case .list(let existing) = target { items = existing }
            while items.count <= index { items.append(.null) }
            write(value, at: rest, into: &items[index])
            target = .list(items)
        case .each:
            guard case .list(let values) = value else { return }
            var items: [Value] = []
            if case .list(let existing) = target { items = existing }
            while items.count < values.count { items.append(.null) }
            for (offset, element) in values.enumerated() { write(element, at: rest, into: &items[offset]) }
            target = .list(items)
        }
    }
}
