import FerryCore
import FerryMapping
import FerryQueue
import FerryAdapters

/// The rows an apply batch sends to one target system's sink for one entity, each with
/// what the planner needs back when the sink has answered for it.
struct ApplyWrite {
    /// One record written as one sink row.
    struct Row {
        var item: InboxItem
        var record: FerryCore.Record
        /// The record's content digest (``Node/contentDigest(_:)``): the version guard's memory.
        var digest: [UInt8]
        var row: SinkRow
        /// The record's personal values, masked wherever the sink's text quotes them.
        var personal: [String]
        /// Who holds the record's policed fields once it is applied.
        var holders: [String: FieldProvenance.Entry]
        /// Why fields were left out of the row (a higher authority set them), for the inbox
        /// detail; nil when the row carries the whole record.
        var kept: String?
    }

    var target: TargetEntity
    /// The target's entity as its mapping declares it: digest index entries are built over it.
    var schema: EntitySchema
    var rows: [Row] = []

    var sinkRows: [SinkRow] { rows.map(\.row) }
    var personal: [[String]] { rows.map(\.personal) }
}
