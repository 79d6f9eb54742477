/// What one `ferry sync` did.
public struct SyncReport: Sendable {
    public var flow: String
    public var pulled = 0
    public var mapped = 0
    /// Records the source handed back unchanged since this flow sent them (re-read at the
    /// cursor's boundary or by a full read); not sent again.
    public var unchanged = 0
    /// Rows newly set aside; a row read again while it is still held is not counted twice.
    public var quarantined = 0
    public var enqueued = 0
    public var bundles: [ShippedBundle] = []
    /// Lanes whose transfer area refused bundles this run; their records stay queued.
    public var held: [String] = []
    /// Lanes whose records wait for a fuller bundle.
    public var waiting: [String] = []
    /// Bundles the far side refused, retried later or dead-lettered.
    public var refused: [String] = []
    /// Changes a trigger's flow read that do not match the trigger's conditions.
    public var untriggered = 0
    /// Records applied, and rejected, at targets in this node's own zone (no gap to cross).
    public var appliedLocally = 0
    public var rejectedLocally = 0
}

/// A bundle that left this node.
public struct ShippedBundle: Sendable {
    public var lane: String
    public var sequence: Int64
    public var records: Int
    public var kind: String
    public var file: String
}

/// What one `ferry receive` did.
public struct ReceiveReport: Sendable {
    public var bundlesAccepted = 0
    public var bundlesRejected = 0
    /// Copies of bundles already received, from a one-way lane's carousel.
    public var duplicates = 0
    public var receiptsAccepted = 0
    public var recordsStaged = 0
    public var applied = 0
    public var skipped = 0
    public var rejected = 0
    /// Records whose target failed; retried after a backoff.
    public var postponed = 0
    /// Records that ran out of attempts this run.
    public var deadLettered = 0
    public var receiptsSent: [ShippedBundle] = []
    public var rejections: [String] = []
    /// Gaps in inbound sequences, as operators read them.
    public var missing: [String] = []
    /// Lanes whose senders were asked to drop missing sequences again.
    public var resendRequests: [String] = []
    /// Bundles dropped again because a receiver asked.
    public var resent = 0
    /// Reconcile steps taken: openings answered, answers turned into reports.
    public var reconciled: [String] = []

    public init() {}
}

extension ReceiveReport {
    /// Adds what one apply pass did.
    mutating func absorb(_ counts: ApplyCounts) {
        applied += counts.applied
        skipped += counts.skipped
        rejected += counts.rejected
        postponed += counts.postponed
        deadLettered += counts.dead
    }

    /// Adds a later receive's counts (or, inside `Node.receive`, its intake's); the later
    /// run's gaps stand, since a gap it no longer reports has been filled.
    public mutating func absorb(_ later: ReceiveReport) {
        bundlesAccepted += later.bundlesAccepted
        bundlesRejected += later.bundlesRejected
        duplicates += later.duplicates
        receiptsAccepted += later.receiptsAccepted
        recordsStaged += later.recordsStaged
        applied += later.applied
        skipped += later.skipped
        rejected += later.rejected
        postponed += later.postponed
        deadLettered += later.deadLettered
        receiptsSent += later.receiptsSent
        rejections += later.rejections
        missing = later.missing
        resendRequests += later.resendRequests
        resent += later.resent
        reconciled += later.reconciled
    }
}

/// What `ferry queue requeue --quarantined` did.
public struct RequeueReport: Sendable {
    /// Held rows looked at.
    public var examined = 0
    /// Rows that passed the current mapping and were enqueued.
    public var requeued = 0
    /// Rows the current mapping still refuses, with their new reasons kept.
    public var stillRefused = 0
    /// Malformed input (not a row at all) or records too large for a bundle: fix them at the
    /// source and send them again.
    public var malformed = 0
    /// Rows already sent as they are now (a later read carried them), left as sent.
    public var unchanged = 0
    /// Rows the source has moved past: a later read of the same record (a newer change, its
    /// deletion) was sent after the row was quarantined, so the old row is not sent.
    public var superseded = 0
}
