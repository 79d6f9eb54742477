/// One transaction on a node's store, and the typed tables it reaches: everything written
/// through one `StoreTransaction` commits together or not at all. That is how a cursor
/// advances only with the outbox rows it produced, and how an audit entry commits only with
/// the step it records (`docs/architecture.md` lists every such boundary).
///
/// A value lives for one `NodeStore.write` or `read` call; callers never keep it. The
/// underlying connection is the store's business: no module outside the store sees SQL.
public struct StoreTransaction {
    package let db: any StoreConnection

    package init(_ db: any StoreConnection) { self.db = db }

    /// Records waiting to be sealed, per lane.
    public var outbox: Outbox { Outbox(db: db) }
    /// Received records waiting to be applied, and the versions applied so far.
    public var inbox: Inbox { Inbox(db: db) }
    /// Bundles both ways: sequences, states, dedup, receipts, watermarks.
    public var ledger: BundleLedger { BundleLedger(db: db) }
    /// Each flow's checkpoint in its source.
    public var cursors: Cursors { Cursors(db: db) }
    /// Rows refused at intake, sealed at rest, until requeued.
    public var quarantine: Quarantine { Quarantine(db: db) }
    /// What each flow last sent per key, so re-read rows are not sent again.
    public var sentDigests: SentDigests { SentDigests(db: db) }
    /// Records and bundles given up on, until redriven or purged.
    public var deadLetters: DeadLetters { DeadLetters(db: db) }
    /// Which source last wrote each field of a target record.
    public var provenance: FieldProvenance { FieldProvenance(db: db) }
    /// Lanes held back after their transfer area refused a bundle.
    public var holds: LaneHolds { LaneHolds(db: db) }
    /// Per-copy key digests and range sums that reconcile compares.
    public var digestIndex: DigestIndex { DigestIndex(db: db) }
    /// Reconcile runs, their staged messages and the ranges last opened.
    public var reconcileRuns: ReconcileRuns { ReconcileRuns(db: db) }
    /// Workers' claims on the node's jobs.
    public var leases: WorkLeases { WorkLeases(db: db) }
    public var documents: Documents { Documents(db: db) }
    /// The console's users and their password hashes.
    public var consoleUsers: ConsoleUserTable { ConsoleUserTable(db: db) }

    /// The queue's counts, oldest items, cursors and holds, read in this transaction.
    public func queueStatus() throws -> QueueStatus { try QueueStatus.read(db) }
}
