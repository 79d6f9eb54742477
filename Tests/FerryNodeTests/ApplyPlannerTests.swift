import Foundation
import Testing
@testable import FerryCore
@testable import FerryMapping
import FerryQueue
import FerrySeal
import FerryAdapters
@testable import FerryNode

/// The apply decisions as values: no files, no store, no sink. Each test hands the planner
/// inbox items, what the target holds and what the sink answered, and reads its actions.
@Suite struct ApplyPlannerTests {
    // MARK: Fixture

    static let here = SourceLocation(file: "ferry.yaml", line: 1, column: 1)
    /// A time with a fraction of a second: postponements must round it up.
    static let now = Date(timeIntervalSince1970: 1_800_000_000.25)
    static let v1 = "2026-02-01T01:30:00Z"
    static let v2 = "2026-02-01T01:30:01Z"
    static let v3 = "2026-02-01T01:30:02Z"

    /// The portal (municipal, extranet) sends projects to approval and archive (inner zone);
    /// the national register sends them to approval too.
    static func topology(attempts: Int = 3) -> Topology {
        var topology = Topology(file: "ferry.yaml", baseDirectory: URL(fileURLWithPath: "/nonexistent"))
        func system(_ name: String, _ zone: String, _ level: Topology.Level) -> Topology.System {
            Topology.System(name: name, zone: zone, level: level, adapter: "sqlite", options: ConfigNode(kind: .mapping([]), location: here),
                maps: [:], location: here)
        }
        func flow(_ name: String, from: String, to: [String], index: Bool = true) -> Topology.Flow {
            Topology.Flow(name: name, entity: "Project", from: from, to: to, schedule: nil, mode: .incremental, keepsDigestIndex: index,
                location: here)
        }
        topology.systems = [
            system("portal", "extranet", .municipal), system("national-db", "extranet", .national),
            system("approval", "inner", .municipal), system("archive", "inner", .district),
        ]
        topology.flows = [
            flow("projects", from: "portal", to: ["approval", "archive"]), flow("national", from: "national-db", to: ["approval"]),
            flow("replies", from: "approval", to: ["portal"]), flow("drafts", from: "portal", to: ["approval"], index: false),
            flow("legacy", from: "old-registry", to: ["approval"]),
        ]
        topology.retry.attempts = attempts
        return topology
    }

    /// Budget is left to the higher authority, status is settled by a person, note and
    /// name go by version.
    static let entity = """
        entity: Project
        key: [id]
        version: v
        fields:
          id: { type: string }
          v: { type: timestamp }
          budget: { type: string, conflict: authority }
          status: { type: string, conflict: none }
          note: { type: string }
          name: { type: string, personal: true }
        """

    /// The approval system's mapping; `extra` adds top-level lines, `without` leaves a field unmapped.
    static func mapping(_ extra: String = "", without: String? = nil) throws -> Mapping {
        let codes = CodeTables(directory: URL(fileURLWithPath: "/nonexistent"))
        let schema = try EntitySchema.parse(ConfigNode.parse(entity, file: "project.yaml"), file: "project.yaml", codes: codes)
        let yaml = """
            system: approval
            entity: Project
            \(extra)
            fields:
              id: { column: ID }
              v: { column: V }
              budget: { column: BUDGET }
              status: { column: STATUS }
              note: { column: NOTE }
              name: { column: NAME }
            """
        let lines = yaml.split(separator: "\n").filter { line in without.map { !line.hasPrefix("  \($0):") } ?? true }.joined(separator: "\n")
        return try MappingLoader(root: ConfigNode.parse(lines, file: "approval.yaml"), file: "approval.yaml", entity: schema, codes: codes).load()
    }

    static func record(_ id: String = "P1", version: String = v1, status: String = "open", budget: String = "100",
        note: String = "n", delete: Bool = false) -> FerryCore.Record
    {
        FerryCore.Record(entity: "Project", key: [id], version: version, operation: delete ? .delete : .upsert, fields: [
            "id": .string(id), "v": .string(version), "budget": .string(budget), "status": .string(status), "note": .string(note),
            "name": "陈静",
        ])
    }

    static func item(_ id: Int64, _ record: FerryCore.Record, flow: String = "projects", bundle: String = "b1", sequence: Int64 = 1,
        attempts: Int = 0, repair: Bool = false) -> InboxItem
    {
        InboxItem(id: id, bundle: bundle, flow: flow, entity: record.entity, key: record.key.joined(separator: "\u{1F}"), version: record.version,
            line: RecordEnvelope(flow: flow, record: record, repair: repair).line, attempts: attempts, lane: "extranet→inner", sequence: sequence)
    }

    /// What a target noted for `record` when it applied it.
    static func held(_ record: FerryCore.Record, sequence: Int64? = nil, position: Int64? = nil) -> Inbox.Applied {
        Inbox.Applied(version: FerryCore.Record.sortableVersion(record.version), digest: Node.contentDigest(record),
            lane: sequence == nil ? nil : "extranet→inner", sequence: sequence, position: position)
    }

    static func holder(_ system: String, rank: Int, _ value: Value) -> FieldProvenance.Entry {
        FieldProvenance.Entry(system: system, rank: rank, digest: Node.valueDigest(value))
    }

    /// A planner over `items` with a backoff without jitter.
    static func planner(_ items: [InboxItem], attempts: Int = 3) -> ApplyPlanner {
        let policy = topology(attempts: attempts).retry
        return ApplyPlanner(items: items, topology: topology(attempts: attempts), zone: "inner", now: now,
            delay: { policy.delay(after: $0, jitter: 0) })
    }

    /// Plans every group, the targets in `at` holding `known` and `holders` by inbox id (the
    /// others nothing), the sink answering `answer` per row (applied unless said otherwise),
    /// and finishes.
    static func run(
        _ items: [InboxItem], known: [Int64: Inbox.Applied] = [:], holders: [Int64: [String: FieldProvenance.Entry]] = [:],
        at targets: Set<String> = ["approval", "archive"],
        answer: (TargetEntity, ApplyWrite.Row) -> SinkAttempt.Result = { _, _ in .outcome(.applied) }
    ) throws -> (plan: ApplyPlan, writes: [ApplyWrite]) {
        var planner = planner(items)
        var writes: [ApplyWrite] = []
        for group in planner.groups {
            let holds = targets.contains(group.target.target)
            let write = try planner.write(group, mapping: mapping(), known: group.entries.map { holds ? known[$0.item.id] : nil },
                holders: group.entries.map { holds ? holders[$0.item.id] ?? [:] : [:] })
            planner.absorb(write, results: write.rows.map { answer(write.target, $0) })
            writes.append(write)
        }
        return (planner.finish(), writes)
    }

    // MARK: Reading the plan

    static func settled(_ plan: ApplyPlan) -> [Int64: (outcome: Inbox.Outcome, detail: String?)] {
        var found: [Int64: (outcome: Inbox.Outcome, detail: String?)] = [:]
        for case .settle(let item, let outcome, let detail) in plan.actions { found[item.id] = (outcome, detail) }
        return found
    }

    static func applied(_ plan: ApplyPlan) -> [String] {
        plan.actions.compactMap { action in
            guard case .recordApplied(let target, let item, _) = action else { return nil }
            return "\(target) \(item.id)"
        }
    }

    static func kinds(_ plan: ApplyPlan) -> [String] {
        plan.actions.map { action in
            switch action {
            case .postpone: "postpone"
            case .deadLetter: "dead"
            case .auditConflict: "conflict"
            case .settle: "settle"
            case .index: "index"
            case .markIndexIncomplete: "stale"
            case .recordApplied: "applied"
            case .recordHolders: "holders"
            case .auditBundle: "bundle"
            }
        }
    }

    static func rows(_ writes: [ApplyWrite], _ target: String = "approval") -> [ApplyWrite.Row] {
        writes.first { $0.target.target == target }?.rows ?? []
    }
}

// MARK: Routing

extension ApplyPlannerTests {
    @Test func recordsAreFiledUnderEveryTargetOfTheirFlowInThisZone() throws {
        var unreadable = Self.item(2, Self.record("P2"))
        unreadable.line = Array("{not json".utf8)
        let items = [
            Self.item(1, Self.record("P1")), unreadable, Self.item(3, Self.record("P3"), flow: "gone"),
            Self.item(4, Self.record("P4"), flow: "replies"),
        ]
        let planner = Self.planner(items)
        #expect(planner.groups.map(\.target) == ["approval", "archive"].map { TargetEntity(target: $0, entity: "Project") })
        #expect(planner.groups.map { $0.entries.map(\.item.id) } == [[1], [1]], "only the readable record of a known flow")
        #expect(planner.groups[0].entries[0].source == "portal")

        // Finished without any write: the routed record was applied by no target.
        let plan = planner.finish()
        let settled = Self.settled(plan)
        #expect(settled[1]?.outcome == .rejected && settled[1]?.detail == "no target applied it")
        #expect(settled[2]?.outcome == .rejected && settled[2]?.detail == "unreadable record")
        #expect(settled[3]?.detail == "flow gone is not in this node's topology")
        #expect(settled[4]?.detail == "flow replies has no target in zone inner")
        #expect(plan.counts.rejected == 4 && plan.rejectedForReason == 3, "metrics count rejections with a reason only")
    }
}

// MARK: The version guard

extension ApplyPlannerTests {
    @Test func olderIsSkippedNewerAppliedAndAnEqualDuplicateSkipped() throws {
        let stored = Self.record(version: Self.v2)
        let items = [
            Self.item(1, Self.record("P1", version: Self.v1)),
            Self.item(2, Self.record("P2", version: Self.v3)),
            Self.item(3, Self.record("P3", version: Self.v2)),
            Self.item(4, Self.record("P4", version: Self.v1)),
        ]
        let (plan, writes) = try Self.run(items,
            known: [1: Self.held(stored), 2: Self.held(stored), 3: Self.held(Self.record("P3", version: Self.v2))])
        let settled = Self.settled(plan)
        #expect(settled[1]?.outcome == .skipped && settled[1]?.detail == "approval holds a newer version than \(Self.v1)")
        #expect(settled[2]?.outcome == .applied)
        #expect(settled[3]?.outcome == .skipped && settled[3]?.detail?.contains("already holds version \(Self.v2) with this content") == true)
        #expect(settled[4]?.outcome == .applied, "never applied here: written")
        let approval = Self.rows(writes)
        #expect(approval.map(\.item.id) == [2, 4])
        #expect(approval.map(\.row.replacesSameVersion) == [true, true], "a newer or unknown version may overwrite what the target holds")
        #expect(approval[0].row.key == ["ID": "P2"] && approval[0].row.values["BUDGET"] == "100")
        #expect(approval[0].personal.contains("陈静"), "the personal name is masked in the sink's texts")
        #expect(Self.applied(plan) == ["approval 2", "approval 4", "archive 2", "archive 4"], "only what was written is noted")
        #expect(plan.counts.applied == 2 && plan.counts.skipped == 2)
    }

    @Test func aSameVersionChangeIsAppliedInOrderAndSkippedWhenLate() throws {
        let stored = Self.record(version: Self.v2, status: "open")
        let changed = Self.record(version: Self.v2, status: "approved")
        // What the target holds came with bundle 3 of the lane, line 40.
        let known = Self.held(stored, sequence: 3, position: 40)
        let items = [Self.item(50, changed, sequence: 2), Self.item(10, changed, sequence: 4)]
        let late = try Self.run([items[0]], known: [50: known])
        #expect(Self.settled(late.plan)[50]?.outcome == .skipped)
        #expect(Self.settled(late.plan)[50]?.detail?.contains("from bundle 2, arrived after it") == true)
        let later = try Self.run([items[1]], known: [10: known])
        #expect(Self.settled(later.plan)[10]?.outcome == .applied, "bundle 4 is later, whatever its inbox row")
        #expect(Self.rows(later.writes).map(\.row.replacesSameVersion) == [true], "it overwrites the row holding this version")
        #expect(Self.rows(later.writes).first?.row.values["STATUS"] == "approved")
    }

    @Test func aBatchThatDeletesAndReinsertsAKeyWritesEachStepOnce() throws {
        let row = Self.record(version: Self.v1)
        let items = [
            Self.item(1, row), Self.item(2, Self.record(version: Self.v1, delete: true)), Self.item(3, row), Self.item(4, row),
        ]
        let (plan, writes) = try Self.run(items)
        let approval = Self.rows(writes)
        #expect(approval.map(\.item.id) == [1, 2, 3], "each later record is judged against the one before it in the batch")
        #expect(approval.map(\.row.operation) == [.upsert, .delete, .upsert])
        #expect(approval.map(\.row.replacesSameVersion) == [true, false, true], "a deletion of a known version is a plain apply")
        #expect(approval[1].holders.isEmpty, "field policies do not judge a deletion")
        let settled = Self.settled(plan)
        #expect(settled[4]?.outcome == .skipped, "the reinsertion again is a duplicate")
        #expect(Self.applied(plan).filter { $0.hasPrefix("approval") } == ["approval 1", "approval 2", "approval 3"])
        let indexed = plan.actions.compactMap { action -> [FerryCore.Record.Operation]? in
            guard case .index(let group, _, let records) = action, group.target == "approval" else { return nil }
            return records.map(\.operation)
        }
        #expect(indexed == [[.upsert, .delete, .upsert]], "the index follows every step; the last one stands")
    }

    @Test func aRepairPassesOnlyTheVersionAppliedBefore() throws {
        let stored = Self.record(version: Self.v2)
        let items = [
            Self.item(1, stored, repair: true), Self.item(2, Self.record(version: Self.v1), repair: true), Self.item(3, stored),
        ]
        let known = [1: Self.held(stored), 2: Self.held(stored), 3: Self.held(stored)] as [Int64: Inbox.Applied]
        let (plan, writes) = try Self.run(items, known: known)
        #expect(Self.rows(writes).map(\.item.id) == [1], "a repair brings back a lost row of the version applied")
        #expect(Self.rows(writes).first?.row.replacesSameVersion == true)
        let settled = Self.settled(plan)
        #expect(settled[1]?.outcome == .applied)
        #expect(settled[2]?.detail?.contains("holds a newer version") == true, "an older version is skipped, repair or not")
        #expect(settled[3]?.detail?.contains("with this content") == true, "the same version outside a repair is a duplicate")
    }
}

// MARK: Conflict policies

extension ApplyPlannerTests {
    @Test func onlyFieldsUnderAPolicyOtherThanLatestArePoliced() throws {
        #expect(ApplyPlanner.policed(try Self.mapping()).map(\.name) == ["budget", "status"])
    }

    @Test func authorityKeepsAHigherAuthoritysValueAndWritesTheRest() throws {
        let national = ["budget": Self.holder("national-db", rank: 0, "90")]
        let (plan, writes) = try Self.run([Self.item(1, Self.record(budget: "100", note: "new"))], holders: [1: national], at: ["approval"])
        let row = try #require(Self.rows(writes).first)
        #expect(row.row.values["BUDGET"] == nil && row.row.values["NOTE"] == "new", "the national budget stays; the note is written")
        #expect(row.holders["budget"] == nil && row.holders["status"]?.system == "portal")
        #expect(Self.settled(plan)[1]?.detail == "kept budget as a higher authority set them")
        #expect(Self.kinds(plan).contains("stale"), "the target holds a mix no digest describes")
        let staleGroups = plan.actions.compactMap { action -> TargetEntity? in
            guard case .markIndexIncomplete(let group) = action else { return nil }
            return group
        }
        #expect(staleGroups == [TargetEntity(target: "approval", entity: "Project")], "archive got the whole record")

        // The national register overwrites a lower authority's value and becomes its holder.
        let district = ["budget": Self.holder("portal", rank: 2, "90")]
        let up = try Self.run([Self.item(2, Self.record(budget: "100"), flow: "national")], holders: [2: district])
        let written = try #require(Self.rows(up.writes).first)
        #expect(written.row.values["BUDGET"] == "100" && written.holders["budget"]?.system == "national-db")
        #expect(written.holders["budget"]?.rank == 0)
        let holders = up.plan.actions.compactMap { action -> String? in
            guard case .recordHolders(let group, let key, let fields) = action else { return nil }
            return "\(group.target) \(key) \(fields.keys.sorted())"
        }
        #expect(holders == ["approval P1 [\"budget\", \"status\"]"])
    }

    @Test func aSourceOutsideTheTopologyRanksBelowEveryAuthority() throws {
        // Even a district system's budget stands against a system the topology does not name.
        var planner = Self.planner([Self.item(1, Self.record(budget: "100"), flow: "legacy")])
        let district = ["budget": Self.holder("archive", rank: 3, "90")]
        let write = try planner.write(planner.groups[0], mapping: Self.mapping(), known: [nil], holders: [district])
        #expect(write.rows.first?.row.values["BUDGET"] == nil && write.rows.first?.kept == "kept budget as a higher authority set them")
        // A mapping that does not write the kept field has no column to leave out.
        let unmapped = try planner.write(planner.groups[0], mapping: Self.mapping(without: "budget"), known: [nil], holders: [district])
        #expect(unmapped.rows.first?.row.values.keys.sorted() == ["ID", "NAME", "NOTE", "STATUS", "V"])
        #expect(unmapped.rows.first?.row.values["STATUS"] == "open")
    }

    @Test func noneMakesACaseForAPersonAndLatestLetsTheVersionDecide() throws {
        let provincial = ["status": Self.holder("national-db", rank: 0, "rejected"), "note": Self.holder("national-db", rank: 0, "x")]
        let newer = try Self.run([Self.item(1, Self.record(version: Self.v2, status: "open", note: "mine"))],
            known: [1: Self.held(Self.record(version: Self.v1))], holders: [1: provincial], at: ["approval"])
        let settled = Self.settled(newer.plan)
        #expect(settled[1]?.outcome == .conflict)
        #expect(settled[1]?.detail?.hasPrefix("approval: conflict on status (national-db holds another value") == true)
        #expect(Self.rows(newer.writes).isEmpty, "nothing is written to the target holding the case")
        #expect(Self.kinds(newer.plan).first == "conflict", "audited before the settlement")
        #expect(newer.plan.counts.rejected == 1 && newer.plan.rejectedForReason == 0)

        // The same version with another status: the version guard raises the case itself.
        let stored = Self.record(version: Self.v2, status: "rejected")
        let same = try Self.run([Self.item(2, Self.record(version: Self.v2, status: "open"))], known: [2: Self.held(stored)],
            holders: [2: ["status": Self.holder("national-db", rank: 0, "rejected")]])
        #expect(Self.settled(same.plan)[2]?.detail?.contains("arrived again with other values of status (conflict: none)") == true)

        // A note (latest) another system wrote is simply overwritten by a newer version, and
        // a deletion is never held for its values.
        let note = try Self.run([Self.item(3, Self.record(version: Self.v2, note: "mine"))], known: [3: Self.held(Self.record(version: Self.v1))],
            holders: [3: ["note": Self.holder("national-db", rank: 0, "x")]])
        #expect(Self.rows(note.writes).first?.row.values["NOTE"] == "mine")
        let deletion = try Self.run([Self.item(4, Self.record(version: Self.v2, delete: true))], known: [4: Self.held(Self.record(version: Self.v1))],
            holders: [4: provincial])
        #expect(Self.rows(deletion.writes).map(\.row.operation) == [.delete])
    }

    @Test func theStrongestOutcomeOverAllTargetsStands() throws {
        // Approval holds a case, archive takes the record: the case stands.
        let status = ["status": Self.holder("national-db", rank: 0, "rejected")]
        let conflict = try Self.run([Self.item(1, Self.record())], holders: [1: status], at: ["approval"])
        #expect(Self.settled(conflict.plan)[1]?.outcome == .conflict)
        #expect(Self.applied(conflict.plan) == ["archive 1"], "archive holds it all the same")

        // Approval skips a duplicate, archive applies it: applied.
        let stored = Self.record()
        let skipped = try Self.run([Self.item(2, stored)], known: [2: Self.held(stored)], at: ["approval"])
        #expect(Self.settled(skipped.plan)[2]?.outcome == .applied)

        // Approval applies, archive refuses: rejected, with archive's reason.
        let refused = try Self.run([Self.item(3, stored)]) { target, _ in
            target.target == "archive" ? .outcome(.rejected("column NAME is too short")) : .outcome(.applied)
        }
        #expect(Self.settled(refused.plan)[3]?.outcome == .rejected && Self.settled(refused.plan)[3]?.detail == "archive: column NAME is too short")
        #expect(refused.plan.rejectedForReason == 1)
    }
}

// MARK: The sink's answers

extension ApplyPlannerTests {
    @Test func theSinksAnswersSettleEachRow() throws {
        let items = [
            Self.item(1, Self.record("P1")), Self.item(2, Self.record("P2", version: Self.v2), flow: "drafts"), Self.item(3, Self.record("P3")),
        ]
        var planner = Self.planner(items)
        let mapping = try Self.mapping()
        for group in planner.groups {
            // Never applied here: the planner reads a missing note as none.
            let write = try planner.write(group, mapping: mapping, known: [], holders: [])
            // The sink holds a newer P1, and answers short: nothing about the last row, P3.
            let results: [SinkAttempt.Result] = write.rows.dropLast().map {
                $0.item.id == 1 ? .outcome(.skippedOlder) : .outcome(.applied)
            }
            planner.absorb(write, results: results)
        }
        let plan = planner.finish()
        let settled = Self.settled(plan)
        #expect(settled[1]?.outcome == .skipped && settled[1]?.detail == "approval holds a newer version than \(Self.v1)")
        #expect(settled[2]?.outcome == .applied)
        #expect(settled[3]?.detail == "no target applied it", "a row without an answer is not taken for applied")
        #expect(Self.applied(plan) == ["approval 2"], "a skipped row is not noted: the target holds something else")
        #expect(!Self.kinds(plan).contains("index"), "a flow without the digest index adds nothing to it")
    }

    @Test func aRowTheMappingRefusesIsRejectedAtItsTarget() throws {
        var planner = Self.planner([Self.item(1, Self.record())])
        let readOnly = try Self.mapping("directions: [read]")
        let write = try planner.write(planner.groups[0], mapping: readOnly, known: [nil], holders: [[:]])
        #expect(write.rows.isEmpty)
        planner.absorb(write, results: [])
        let settled = Self.settled(planner.finish())
        #expect(settled[1]?.outcome == .rejected)
        #expect(settled[1]?.detail?.hasPrefix("approval: ") == true && settled[1]?.detail?.contains("only reads") == true)
    }
}

// MARK: Retries, back-off and dead letters

extension ApplyPlannerTests {
    @Test func aFailedRecordIsPostponedByItsBackoffThenDeadLettered() throws {
        let items = [
            Self.item(1, Self.record("P1"), attempts: 0), Self.item(2, Self.record("P2"), attempts: 1),
            Self.item(3, Self.record("P3"), attempts: 2), Self.item(4, Self.record("P4"), bundle: "b2"),
        ]
        let (plan, _) = try Self.run(items) { _, row in
            row.item.id == 4 ? .outcome(.applied) : .failed("the table is locked")
        }
        var postponed: [Int64: (attempts: Int, next: Date)] = [:]
        var dead: [Int64: (reason: String, attempts: Int)] = [:]
        for action in plan.actions {
            if case .postpone(let item, let attempts, let next) = action { postponed[item.id] = (attempts, next) }
            if case .deadLetter(let item, let reason, let attempts) = action { dead[item.id] = (reason, attempts) }
        }
        let base = Self.now.timeIntervalSince1970.rounded(.down)
        // 5 s after the first failure, 10 s after the second; .25 s rounds up to the next second.
        #expect(postponed[1]?.attempts == 1 && postponed[1]?.next == Date(timeIntervalSince1970: base + 6))
        #expect(postponed[2]?.attempts == 2 && postponed[2]?.next == Date(timeIntervalSince1970: base + 11))
        #expect(dead[3]?.attempts == 3 && dead[3]?.reason == "archive: the table is locked", "the last attempt goes to dead letters")
        #expect(plan.counts.postponed == 2 && plan.counts.dead == 1 && plan.counts.applied == 1)
        #expect(Set(Self.settled(plan).keys) == [4], "a failed record settles nothing else")
        #expect(Array(Self.kinds(plan).prefix(3)) == ["postpone", "postpone", "dead"], "retries first, by inbox id")

        let bundles = plan.actions.compactMap { action -> String? in
            guard case .auditBundle(let bundle, let records, let targets, let tally) = action else { return nil }
            return "\(bundle) \(records.map(\.item.id)) \(targets) \(tally)"
        }
        #expect(bundles == ["b2 [4] [\"approval\", \"archive\"] [\"applied\": 1]"], "no event for a bundle whose records all wait")
    }

    @Test func backoffGrowsWithJitterAndAnyCountIsSafe() throws {
        let topology = Self.topology(attempts: 8)
        let jittered = ApplyPlanner(items: [], topology: topology, zone: "inner", now: Self.now,
            delay: { topology.retry.delay(after: $0, jitter: 0.2) })
        let item = Self.item(1, Self.record(), attempts: 3)
        guard case .postpone(_, let attempts, let next) = jittered.retry(item, reason: "x") else { Issue.record("postponed"); return }
        // The fourth failure waits 5·2³ = 40 s, +20 % = 48 s.
        #expect(attempts == 4 && next == Date(timeIntervalSince1970: Self.now.timeIntervalSince1970.rounded(.down) + 49))
        let defaulted = ApplyPlanner(items: [], topology: topology, zone: "inner", now: Self.now)
        guard case .postpone(_, _, let random) = defaulted.retry(item, reason: "x") else { Issue.record("postponed"); return }
        let wait = random.timeIntervalSince(Self.now)
        #expect(wait >= 32 && wait <= 49, "the topology's policy with its ±20 % jitter, rounded up to a second: \(wait)")
        #expect(random.timeIntervalSince1970 == random.timeIntervalSince1970.rounded())

        let worn = Self.item(2, Self.record(), attempts: Int.max)
        guard case .deadLetter(_, _, let count) = jittered.retry(worn, reason: "x") else { Issue.record("dead"); return }
        #expect(count == Int.max, "a count at its limit does not overflow")
    }

    @Test func aFailureAtOneTargetRetriesTheWholeRecordAndKeepsWhatTheOtherApplied() throws {
        let (plan, _) = try Self.run([Self.item(1, Self.record())]) { target, _ in
            target.target == "archive" ? .failed("disk full") : .outcome(.applied)
        }
        #expect(Self.kinds(plan) == ["postpone", "index", "applied", "holders"],
            "approval's write is noted, so the retry finds it there; no outcome, no bundle event yet")
        #expect(Self.applied(plan) == ["approval 1"])
    }
}
