import Foundation
import FerryCore
import FerrySeal
import FerryMapping
import FerryQueue

/// Decides what becomes of one batch of inbox records, without I/O: the node reads, writes
/// to sinks and commits; the planner only judges. Used in three steps per batch:
///
/// 1. ``groups``: the batch's records by target system and entity (records that cannot be
///    read, or have no target in this zone, are rejected here);
/// 2. per group, ``write(_:mapping:known:holders:)`` turns records into sink rows after the
///    version guard and the field conflict policies, and ``absorb(_:results:)`` takes what
///    the sink made of each row;
/// 3. ``finish()`` returns the actions that settle the batch, retries and dead letters
///    included, for the node to execute in one transaction.
///
/// A record may go to several targets. Its outcome is then the strongest one: a conflict
/// or a rejection at any target outweighs an application elsewhere, an application
/// outweighs a skip, and a failure at any target postpones the whole record.
struct ApplyPlanner {
    let items: [InboxItem]
    /// The batch's records by target and entity, sorted by both.
    private(set) var groups: [ApplyGroup] = []
    let now: Date
    /// Failed attempts after which a record goes to dead letters.
    let attempts: Int
    /// The wait after failed attempt `n` (1-based), in seconds.
    let delay: (Int) -> TimeInterval
    /// Authority rank per system name (0 is national); unknown systems rank below all.
    let ranks: [String: Int]
    /// Flows whose applies do not keep the digest index.
    let unindexedFlows: Set<String>

    var outcomes: [Int64: (outcome: Inbox.Outcome, detail: String?)] = [:]
    /// Records a target failed in a way worth retrying: postponed, or dead-lettered.
    var failed: [Int64: (item: InboxItem, reason: String)] = [:]
    /// Records held back as conflict cases, audited with the settlement.
    var conflicts: [(item: InboxItem, target: String, detail: String)] = []
    var appliedVersions: [(target: String, item: InboxItem, digest: [UInt8])] = []
    /// What each target now holds, for its digest index (kept for reconciles).
    var indexed: [TargetEntity: (schema: EntitySchema, records: [FerryCore.Record])] = [:]
    var staleIndexes: Set<TargetEntity> = []
    var holders: [(target: TargetEntity, key: String, fields: [String: FieldProvenance.Entry])] = []

    /// - Parameters:
    ///   - items: the batch, in staging order.
    ///   - topology: flows, systems and the retry policy.
    ///   - zone: this node's zone: a flow's targets in it are the ones applied to.
    ///   - now: when the batch runs: postponed records are due a backoff after it.
    ///   - delay: the backoff after failed attempt `n`; by default the topology's retry
    ///     policy, with its jitter.
    init(items: [InboxItem], topology: Topology, zone: String, now: Date, delay: ((Int) -> TimeInterval)? = nil) {
        self.items = items
        self.now = now
        let retry = topology.retry
        self.attempts = retry.attempts
        self.delay = delay ?? { retry.delay(after: $0) }
        self.ranks = Dictionary(topology.systems.map { ($0.name, $0.level.rank) }) { first, _ in first }
        self.unindexedFlows = Set(topology.flows.filter { !$0.keepsDigestIndex }.map(\.name))
        self.groups = route(items, topology: topology, zone: zone)
    }

    /// Reads each record and files it under every target of its flow in `zone`.
    private mutating func route(_ items: [InboxItem], topology: Topology, zone: String) -> [ApplyGroup] {
        var perTarget: [TargetEntity: [ApplyGroup.Entry]] = [:]
        for item in items {
            let envelope: RecordEnvelope
            do { envelope = try RecordEnvelope(line: item.line) } catch {
                outcomes[item.id] = (.rejected, "unreadable record")
                continue
            }
            guard let flow = topology.flow(named: envelope.flow) else {
                outcomes[item.id] = (.rejected, "flow \(envelope.flow) is not in this node's topology")
                continue
            }
            let targets = flow.to.filter { topology.system(named: $0)?.zone == zone }
            if targets.isEmpty { outcomes[item.id] = (.rejected, "flow \(flow.name) has no target in zone \(zone)") }
            for target in targets {
                let entry = ApplyGroup.Entry(item: item, record: envelope.record, source: flow.from, repair: envelope.repair)
                perTarget[TargetEntity(target: target, entity: envelope.record.entity), default: []].append(entry)
            }
        }
        return perTarget.map { ApplyGroup(target: $0.key, entries: $0.value) }
            .sorted { ($0.target.target, $0.target.entity) < ($1.target.target, $1.target.entity) }
    }
}
