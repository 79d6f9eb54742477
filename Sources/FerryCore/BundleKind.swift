/// What a bundle carries: its `kind` in the header (docs/bundle-format.md) and in the
/// queue's bundle ledger.
public enum BundleKind: String, Sendable, CaseIterable {
    /// Records of one lane's flows.
    case records
    /// Outcomes of a received bundle's records, sent back on a two-way channel.
    case receipt
    /// A request, sent back on a two-way channel, to drop missing sequences again.
    case resend
    /// Digests exchanged to reconcile two copies of an entity: summaries and sketches.
    case reconcile
    /// Chunks of one document that records of the lane refer to (docs/documents.md).
    case documents
    /// The ledger entry of same-zone delivery, which never crosses a gap: no sealed
    /// bundle has this kind.
    case local

    /// Kinds a sealed bundle may carry.
    public var isSealed: Bool { self != .local }
}
