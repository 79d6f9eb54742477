public import Foundation
import Yams

/// A parsed YAML node that remembers where it came from, so every later check can point
/// at the exact line and column of the mistake.
public struct ConfigNode: Sendable {
    public enum Kind: Sendable {
        case scalar(String)
        case null
        case sequence([ConfigNode])
        case mapping([Entry])
    }

    public struct Entry: Sendable {
        public var key: String
        public var keyLocation: SourceLocation
        public var value: ConfigNode
    }

    public var kind: Kind
    public var location: SourceLocation
    /// A scalar written in quotes or as a block (`"1000"`, `|`): text, never a number or
    /// boolean, when a reader types plain scalars by the YAML 1.2 core schema.
    public var isQuoted = false

    public init(kind: Kind, location: SourceLocation) {
        self.kind = kind
        self.location = location
    }

    /// Reads and parses a YAML file; syntax errors carry the file, line and column.
    public static func load(file url: URL, displayName: String? = nil) throws -> ConfigNode {
        let name = displayName ?? url.path
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw FerryError(
                .config, "cannot read \(name)",
                at: .file(SourceLocation(file: name, line: 1, column: 1)),
                hint: "check that the file exists and is readable UTF-8 text")
        }
        return try parse(text, file: name)
    }

    /// Parses YAML text; `file` is used only to name locations.
    public static func parse(_ text: String, file: String) throws -> ConfigNode {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw Self.translate(error, file: file)
        }
        guard let root else {
            return ConfigNode(kind: .null, location: SourceLocation(file: file, line: 1, column: 1))
        }
        return try ConfigNode(root, file: file)
    }

    private init(_ node: Node, file: String) throws {
        let mark = node.mark
        let location = SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
        switch node {
        case .scalar(let scalar):
            let isNull = scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
            self.init(kind: isNull ? .null : .scalar(scalar.string), location: location)
            isQuoted = scalar.style != .plain
        case .sequence(let sequence):
            self.init(kind: .sequence(try sequence.map { try ConfigNode($0, file: file) }), location: location)
        case .mapping(let mapping):
            var entries: [Entry] = []
            var seen: [String: SourceLocation] = [:]
            for (key, value) in mapping {
                let keyNode = try ConfigNode(key, file: file)
                guard case .scalar(let name) = keyNode.kind else {
                    throw FerryError(.config, "a mapping key must be a plain name", at: .file(keyNode.location))
                }
                if let first = seen[name] {
                    throw FerryError(
                        .config, "duplicate key '\(name)' (first at line \(first.line))",
                        at: .file(keyNode.location), hint: "each name may appear once; merge or rename one of them")
                }
                seen[name] = keyNode.location
                entries.append(Entry(key: name, keyLocation: keyNode.location, value: try ConfigNode(value, file: file)))
            }
            self.init(kind: .mapping(entries), location: location)
        case .alias:
            throw FerryError(
                .config, "YAML aliases are not supported", at: .file(location),
                hint: "write the value out in full so every node's position is known")
        }
    }

    private static func translate(_ error: YamlError, file: String) -> FerryError {
        func located(_ problem: String, _ mark: Mark) -> FerryError {
            FerryError(
                .config, "YAML syntax: \(problem)",
                at: .file(SourceLocation(file: file, line: mark.line, column: mark.column)),
                hint: "fix the indentation or quoting near this position")
        }
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return located(problem, mark)
        case .duplicatedKeysInMapping(let duplicates, let context):
            return located("duplicate keys \(duplicates.joined(separator: ", "))", context.mark)
        default:
            return FerryError(
                .config, "YAML: \(error)", at: .file(SourceLocation(file: file, line: 1, column: 1)))
        }
    }
}
