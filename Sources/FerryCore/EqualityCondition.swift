/// `NAME == 'value'` or `NAME != 'value'`: how a mapping rule's `when:` and a trigger's
/// `when:` are written, parsed in one place so they read alike.
public struct EqualityCondition: Sendable, Equatable {
    public var name: String
    public var equals: Bool
    public var literal: String

    /// nil unless the text is a name, ` == ` or ` != `, and a value in single quotes.
    public static func parse(_ text: String) -> EqualityCondition? {
        let op = text.contains(" != ") ? " != " : " == "
        let sides = text.components(separatedBy: op).map { $0.trimmingCharacters(in: .whitespaces) }
        guard sides.count == 2, !sides[0].isEmpty, sides[1].count >= 2, sides[1].hasPrefix("'"), sides[1].hasSuffix("'") else { return nil }
        return EqualityCondition(name: sides[0], equals: op == " == ", literal: String(sides[1].dropFirst().dropLast()))
    }
}
