/// A lane: the direction `from → to` between two zones, along which bundles are numbered.
///
/// Written `from→to` (U+2192) in bundle headers, the queue's tables and the audit log; this
/// is the one place that spells or splits that form. A lane from a zone to itself numbers
/// the pseudo-bundles of same-zone delivery and is not a channel (`isLocal`).
public struct LaneID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var from: String
    public var to: String

    /// The separator of a lane's zones.
    public static let arrow: Unicode.Scalar = "\u{2192}"

    public init(from: String, to: String) {
        self.from = from
        self.to = to
    }

    /// Parses `from→to`: exactly one arrow, split by Unicode scalar (a mark glued to the
    /// arrow does not hide it). With `identifiers`, both zones must also be simple
    /// identifiers (`OutsideText.isIdentifier`), as names from outside Ferry must.
    /// - Returns: nil for anything else.
    public init?(_ name: String, identifiers: Bool = false) {
        let scalars = name.unicodeScalars
        guard let arrow = scalars.firstIndex(of: Self.arrow) else { return nil }
        let rest = scalars[scalars.index(after: arrow)...]
        guard !rest.contains(Self.arrow) else { return nil }
        let from = String(scalars[..<arrow]), to = String(rest)
        guard !from.isEmpty, !to.isEmpty else { return nil }
        if identifiers, !(OutsideText.isIdentifier(from) && OutsideText.isIdentifier(to)) { return nil }
        self.init(from: from, to: to)
    }

    /// `from→to`.
    public var name: String { from + String(Self.arrow) + to }
    public var description: String { name }
    public var isLocal: Bool { from == to }
    /// The lane back: receipts and resend requests travel it.
    public var reversed: LaneID { LaneID(from: to, to: from) }

    public static func < (a: LaneID, b: LaneID) -> Bool { a.name < b.name }
}
