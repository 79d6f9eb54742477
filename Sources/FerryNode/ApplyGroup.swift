import FerryCore
import FerryQueue

/// A target system and the entity written to it.
struct TargetEntity: Hashable {
    var target: String
    var entity: String
}

/// The records of one apply batch bound for one target system and entity, in inbox order:
/// one system may receive several entities, and one record may go to several systems.
struct ApplyGroup {
    /// One record of the batch, read from its inbox line.
    struct Entry {
        var item: InboxItem
        var record: FerryCore.Record
        /// The flow's source system: its authority level ranks the values it sends.
        var source: String
        /// Sent by a reconcile repair: the version the target holds may be written again.
        var repair: Bool
    }

    var target: TargetEntity
    var entries: [Entry]
}
