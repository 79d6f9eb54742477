public import Foundation
import FerryCore

/// One system's dialect of one canonical entity, compiled from a mapping file.
/// It reads system rows into canonical records and writes canonical records back.
public struct Mapping: Sendable {
    public enum Unmapped: String, Sendable {
        case fail, drop, keep
    }

    public enum Direction: String, Sendable, CaseIterable {
        /// System rows into canonical records: the mapping is a flow's source.
        case read
        /// Canonical records into system rows: the mapping is a flow's target.
        case write
    }

    public var name: String
    /// The systems that speak this dialect: usually one, or several that run the same
    /// software (the six district offices of one vendor's approval system).
    public var systems: [String]
    /// The systems, as reports name them.
    public var system: String { systems.joined(separator: ", ") }
    public var entity: EntitySchema
    public var unmapped: Unmapped
    /// System columns deliberately not carried.
    public var ignored: Set<String>
    public var rules: [FieldRule]
    /// What the file says it does; a mapping with lossy rules can only read.
    public var directions: Set<Direction> = [.read, .write]
    public var tests: [MappingTest]
    public var file: String
    let patterns: [String: NSRegularExpressionBox]
    /// Columns the mapping reads or deliberately ignores; anything else is "unmapped".
    public let knownColumns: Set<String>

    /// The system columns this mapping reads or writes.
    public var columns: [String] { rules.flatMap { $0.column.map { [$0] } ?? $0.concat } }

    public func rule(for field: String) -> FieldRule? { rules.first { $0.field == field } }

    public static func load(_ url: URL, entity: EntitySchema, codes: CodeTables) throws -> Mapping {
        let root = try ConfigNode.load(file: url, displayName: url.path)
        return try MappingLoader(root: root, file: url.path, entity: entity, codes: codes).load()
    }

    /// The key of a row as far as it can be read, masked when personal, for reports.
    func displayKey(_ fields: [String: Value]) -> String {
        let personal = entity.personalFields
        return entity.key.map { part in
            let text = fields[part]?.text ?? "?"
            return personal.contains(part) ? Masking.mask(text) : text
        }.joined(separator: "/")
    }
}

/// NSRegularExpression is immutable once built; the box makes that explicit to Swift 6.
public final class NSRegularExpressionBox: @unchecked Sendable {
    // Sendable: NSRegularExpression is documented as immutable and thread-safe.
    let regex: NSRegularExpression
    init(_ regex: NSRegularExpression) { self.regex = regex }

    func firstMatch(_ text: String) -> NSTextCheckingResult? { regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) }

    func matchesWhole(_ text: String) -> Bool {
        let range = NSRange(text.startIndex..., in: text)
        guard let match = regex.firstMatch(in: text, range: range) else { return false }
        return match.range == range
    }
}
