import Foundation
import FerryCore
import FerryMapping
import FerryQueue

/// One step of settling an apply batch. The node executes a batch's actions in order in
/// one store transaction: an outcome, the version noted for it and its audit event commit
/// together, or not at all.
enum ApplyAction {
    /// Failed with attempts left: try again at `next`, a whole second (stored times have
    /// whole seconds). `attempts` counts the failed attempts so far.
    case postpone(InboxItem, attempts: Int, next: Date)
    /// Failed at its last attempt: settled as dead, listed in dead letters and audited.
    case deadLetter(InboxItem, reason: String, attempts: Int)
    /// Held as a case for a person at `target`: audited as a conflict.
    case auditConflict(InboxItem, target: String, detail: String)
    /// The record's outcome on its inbox row. A rejection or conflict of a record this node
    /// read itself makes it count as unsent again.
    case settle(InboxItem, Inbox.Outcome, detail: String?)
    /// Records now held by the target, folded into its digest index (a deletion removes its
    /// pair); entries are built over `schema`.
    case index(TargetEntity, schema: EntitySchema, records: [FerryCore.Record])
    /// The target holds a mix no digest of ours describes: its index is incomplete until
    /// the next full read.
    case markIndexIncomplete(TargetEntity)
    /// The version and content digest the target now holds for the item's key.
    case recordApplied(target: String, item: InboxItem, digest: [UInt8])
    /// Who now holds the policed fields of a key at the target.
    case recordHolders(TargetEntity, key: String, fields: [String: FieldProvenance.Entry])
    /// One `applied` audit event per bundle: the tally of outcomes, and each record's leaf
    /// tagged with its outcome.
    case auditBundle(bundle: String, records: [(item: InboxItem, outcome: Inbox.Outcome)], targets: [String], tally: [String: Int64])
}

/// What an apply run did, in records.
struct ApplyCounts {
    var applied = 0
    var skipped = 0
    /// Rejected, held as conflicts, or applied by no target.
    var rejected = 0
    /// Failed this run, to be retried after a backoff.
    var postponed = 0
    var dead = 0

    /// Records this pass settled or postponed, whatever became of them.
    var total: Int { applied + skipped + rejected + postponed + dead }

    static func += (total: inout ApplyCounts, batch: ApplyCounts) {
        total.applied += batch.applied
        total.skipped += batch.skipped
        total.rejected += batch.rejected
        total.postponed += batch.postponed
        total.dead += batch.dead
    }
}

/// A batch's actions, in the order they are executed, with what they add up to.
struct ApplyPlan {
    var actions: [ApplyAction] = []
    var counts = ApplyCounts()
    /// Records settled as rejected for a reason, for the node's metrics: conflicts, and
    /// records no target took, count as rejected above but not here.
    var rejectedForReason = 0
}
