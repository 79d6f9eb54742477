import FerryCore
import FerryQueue
import FerryAdapters

extension ApplyPlanner {
    /// Takes what the sink made of each row of `write`, in row order (as ``SinkAttempt``
    /// answers): failures to retry, applications to note, skips and rejections to settle.
    /// A row without a result gets no outcome from this target.
    mutating func absorb(_ write: ApplyWrite, results: [SinkAttempt.Result]) {
        let target = write.target.target
        for (row, result) in zip(write.rows, results) {
            let item = row.item
            switch result {
            case .failed(let reason):
                failed[item.id] = (item, "\(target): \(reason)")
            case .outcome(.applied):
                applied(row, in: write)
            case .outcome(.skippedOlder):
                // Not recorded as applied: the target holds something else (a newer
                // version written there), and a later resend must be judged against it.
                outcomes[item.id] = outcomes[item.id] ?? (.skipped, "\(target) holds a newer version than \(item.version)")
            case .outcome(.rejected(let reason)):
                outcomes[item.id] = (.rejected, "\(target): \(reason)")
            }
        }
    }

    /// A row the target took: its outcome, the version it now holds, its index entry and
    /// the holders of its policed fields.
    private mutating func applied(_ row: ApplyWrite.Row, in write: ApplyWrite) {
        let item = row.item
        if row.kept != nil {
            // The target now holds a mix of this record and values a higher
            // authority set: no digest of ours describes it.
            staleIndexes.insert(write.target)
        } else if !unindexedFlows.contains(item.flow) {
            indexed[write.target, default: (write.schema, [])].records.append(row.record)
        }
        // An application outweighs a skip at another target, not a conflict or rejection.
        if outcomes[item.id] == nil || outcomes[item.id]?.outcome == .skipped { outcomes[item.id] = (.applied, row.kept) }
        appliedVersions.append((write.target.target, item, row.digest))
        if !row.holders.isEmpty { holders.append((write.target, item.key, row.holders)) }
    }
}
