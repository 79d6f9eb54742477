import ArgumentParser
import Foundation
import FerryCore
import FerryNode
import FerryOps

struct ReconcileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Compare the copies a flow keeps on each side of a gap, or two systems of one zone, by record digests.",
        discussion: """
            Across a gap (give a FLOW, on the node of its source): the source is read, mapped \
            to canonical form and summarised; a sealed 'reconcile' bundle carries the summary \
            to each target's zone. With a return path the far side answers with a sketch of \
            its digests and 'ferry receive' here turns the answer into the report. With a \
            one-way link (or --one-way) the opening carries a sketch of the ranges whose sums \
            changed since the last opening towards that target (every range the first time, \
            or with --all-ranges), sized for what changed (or for --capacity records), and \
            the far side reports. Only digests cross. Show the latest report with --report, \
            its repair plan with --plan; --apply sends the plan's inserts and updates through \
            the normal queue (ferry sync or the daemon ships them).

            In one zone (--left and --right): both systems are read and compared directly, \
            field by field.

            With --indexed, neither side reads its system: each takes its copy from the digest \
            index its pulls and applies keep (a full run rewrites it from the systems). That \
            is quick and catches what Ferry failed to deliver or apply; edits made outside \
            Ferry show only in a full run.

            Keys and personal values are shown masked; a key only the far side holds shows as \
            '#' and its digest. Runs are audited with their counts and a digest of the \
            differences. Exits 0 when the copies agree, 1 when they differ.

            Examples:
              ferry reconcile status-to-jinhong --config ferry.yaml --node passport-gw
              ferry receive --config ferry.yaml --node jinhong-gw     # the far side answers
              ferry receive --config ferry.yaml --node passport-gw    # the answer comes in
              ferry reconcile status-to-jinhong --plan --config ferry.yaml --node passport-gw
              ferry reconcile --left approval --right approval-backup --config ferry.yaml --node jinhong-gw
            """)

    @Argument(help: "The flow whose copies to reconcile across the gap.") var flow: String?
    @Option(name: .long, help: "One system (in-zone comparison).") var left: String?
    @Option(name: .long, help: "The other system, in the same zone.") var right: String?
    @Option(name: .long, help: "The entity, or a mapping file whose entity to compare by, when the systems share more than one.")
    var mapping: String?
    @Option(name: .long, help: "Only this target of the flow.") var target: String?
    @Flag(name: .long, help: "Ship a sketch with the opening and let the far side report, even where a return path exists.")
    var oneWay = false
    @Option(name: .long, help: "One-way: how many differing records the sketch must resolve (default: sized from what changed since the last opening; 1000 on a first).")
    var capacity: Int?
    @Flag(name: .long, help: "One-way: ship every range, not only those changed since the last opening.") var allRanges = false
    @Option(name: .long, help: "The range tree's fan-out: 2, 4, 8, 16 or 64 (default: the flow's reconcile: { fan_out: }, or 16).")
    var fanOut: Int?
    @Flag(name: .long, help: "Take both copies from the digest indexes that pulls and applies keep, without reading the systems.")
    var indexed = false
    @Flag(name: .long, help: "Print the latest finished report of the flow instead of opening a run.") var report = false
    @Flag(name: .long, help: "Print the repair plan of the latest finished report.") var plan = false
    @Flag(name: .long, help: "Send the plan's inserts and updates through the normal queue.") var apply = false
    @Option(name: .customLong("run"), help: "With --report, --plan or --apply: this run instead of the latest.") var runID: String?
    @OptionGroup var options: NodeOptions
    @Flag(name: .long, help: "Print JSON.") var json = false
    @Flag(name: .long, help: "Print CSV, one difference a line.") var csv = false

    func validate() throws {
        if flow == nil, left == nil || right == nil { throw ValidationError("name a FLOW, or two systems with --left and --right") }
        if flow != nil, left != nil || right != nil { throw ValidationError("a FLOW is reconciled across its gap; --left and --right compare systems of one zone") }
        if [report, plan, apply].filter({ $0 }).count > 1 { throw ValidationError("--report, --plan and --apply go one at a time") }
        if let capacity, capacity < 0 { throw ValidationError("--capacity counts records: 0 or more") }
    }

    var actor: String { "operator:\(ProcessInfo.processInfo.environment["USER"] ?? "?")" }

    func run() throws {
        guard let flow else { return try compareInZone() }
        let node = try reporting { try Node(deployment: Deployment.load(options.config), name: options.node, logger: makeLogger()) }
        if apply {
            let result = try reporting { try node.applyRepair(flow: flow, run: runID, actor: actor) }
            guard !result.lane.isEmpty else {
                print("run \(result.run) found the copies of \(flow) equal: nothing to repair")
                return
            }
            print("run \(result.run): \(result.enqueued) records queued for \(result.lane) as repairs; \(result.kept) kept as the target holds them, \(result.cases) raised as cases, \(result.reported) reported only\(result.deletions > 0 ? ", \(result.deletions) extras the target is asked to delete" : "")")
            print("  ferry sync \(flow) (or the daemon) seals and ships them; receipts and the audit log follow as for any exchange")
            return
        }
        if report || plan {
            let reports = try reporting { try node.reconcileReports(flow: flow) }.filter { runID == nil || $0.run == runID }
            guard let found = reports.first else {
                FileHandle.standardError.write(Data("no finished reconcile of \(flow) on \(options.node)\(runID.map { " with run \($0)" } ?? ""); open one with 'ferry reconcile \(flow)' and let 'ferry receive' take the answer in\n".utf8))
                let runs = try reporting { try node.reconcileRuns(flow: flow) }
                if !runs.isEmpty {
                    var table = Table(["run", "role", "mode", "state", "opened", "last step", "rounds"])
                    for run in runs { table.add([run.run, run.role, run.mode, run.state, run.openedAt, run.updatedAt, String(run.rounds)]) }
                    FileHandle.standardError.write(Data((table.rendered + "\n").utf8))
                }
                throw ExitCode(1)
            }
            try show(found, plan: plan)
            return
        }
        let progress = Progress()
        let opened = try reporting {
            try node.openReconcile(flow: flow, Node.ReconcileOptions(target: target, oneWay: oneWay, indexed: indexed, capacity: capacity, allRanges: allRanges,
                fanOut: fanOut), actor: actor, progress: progress.update)
        }
        progress.finish()
        for run in opened {
            print("run \(run.run): \(run.mode) reconcile of \(flow) to \(run.target), \(run.records) records summarised in \(run.ranges) ranges, \(run.bundleBytes) bytes sealed on \(run.lane)\(run.shipped ? "" : " (held: the next pack ships it)")")
            if let shipped = run.shippedRanges {
                if let since = run.since, shipped == 0 {
                    print("  no range has changed at the source since run \(since): the far side checks that its copy is still the same")
                } else {
                    let what = run.since.map { "the \(shipped) range\(shipped == 1 ? "" : "s") changed since run \($0)" } ?? "all \(shipped) ranges"
                    print("  the sketch (width \(run.sketchWidth ?? 0)) holds the pairs of \(what)")
                }
            }
            if run.mode == "two-way" {
                print("  the report is made here once 'ferry receive' on the far side answers and 'ferry receive' here takes the answer in; then: ferry reconcile \(flow) --report")
            } else {
                print("  the far side reports on 'ferry receive': ferry reconcile \(flow) --report, on its node")
            }
        }
    }

    func compareInZone() throws {
        guard let left, let right else { return }
        let report = try reporting {
            try ReconcileTools.compare(config: options.config, node: options.node, left: left, right: right, entity: try entityName(), fanOut: fanOut ?? 16,
                actor: actor)
        }
        try show(report, plan: false)
    }

    /// `--mapping` names an entity, or a mapping file whose `entity:` line names it.
    func entityName() throws -> String? {
        guard let mapping else { return nil }
        guard FileManager.default.fileExists(atPath: mapping) else { return mapping }
        let text = try String(contentsOfFile: mapping, encoding: .utf8)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("entity:") }) else {
            throw ValidationError("\(mapping) names no entity: line")
        }
        return line.dropFirst("entity:".count).trimmingCharacters(in: .whitespaces)
    }

    func show(_ report: ReconcileTools.Report, plan: Bool) throws {
        if json {
            print(String(decoding: CanonicalJSON.encode(report.value), as: UTF8.self))
        } else if csv {
            func cell(_ text: String) -> String { String(decoding: CSVLine.encode([text]).dropLast(2), as: UTF8.self) }
            if plan {
                print("action,key,reason")
                for step in report.plan { print("\(step.action.rawValue),\(cell(step.key)),\(cell(step.reason))") }
            } else {
                print("difference,key,field,\(cell(report.left)),\(cell(report.right))")
                for key in report.onlyLeft { print("only in \(cell(report.left)),\(cell(key)),,,") }
                for key in report.onlyRight { print("only in \(cell(report.right)),\(cell(key)),,,") }
                for change in report.changed {
                    if change.fields.isEmpty { print("changed,\(cell(change.key)),,,") }
                    for field in change.fields { print("changed,\(cell(change.key)),\(cell(field.field)),\(cell(field.left)),\(cell(field.right))") }
                }
            }
        } else {
            let scope = report.run.map { "run \($0) (\(report.mode)), " } ?? ""
            print("\(scope)\(report.entity): \(report.left) \(report.leftRecords) records, \(report.right) \(report.rightRecords) records")
            if report.state != "done" { print("  \(report.state): \(report.note ?? "")") }
            print("  matched \(report.state == "partial" ? "at most " : "")\(report.matched)\(report.withinTolerance > 0 ? " (\(report.withinTolerance) within tolerance)" : ""), only in \(report.left) \(report.onlyLeft.count), only in \(report.right) \(report.onlyRight.count), changed \(report.changed.count)")
            if report.run == nil {
                print("  \(report.differingLeaves) of \(report.leaves) ranges differed; \(report.fingerprintsCompared) fingerprints compared")
            } else if report.sketchWidth > 0 {
                print("  resolved by a sketch of width \(report.sketchWidth) in \(report.rounds) round\(report.rounds == 1 ? "" : "s"); only digests crossed, so changed records show no fields")
            }
            if let shipped = report.shippedRanges, shipped < report.leaves {
                // A partial report's note already says how many of the others differ.
                let others = report.state == "partial" ? "" : "; \(report.outsideRanges) of the others differ"
                print("  the opening shipped \(shipped) of \(report.leaves) ranges, those changed at the source since its last opening\(others)")
            }
            if report.unreadable.left + report.unreadable.right > 0 {
                print("  not compared: \(report.unreadable.left) rows of \(report.left) and \(report.unreadable.right) of \(report.right) that their mappings refuse")
            }
            if plan {
                var table = Table(["action", "key", "reason"])
                for step in report.plan { table.add([step.action.rawValue, step.key, step.reason]) }
                print(report.plan.isEmpty ? "  nothing to repair" : table.rendered)
                return
            }
            var table = Table(["difference", "key", "field", report.left, report.right])
            for key in report.onlyLeft { table.add(["only in \(report.left)", key, "", "", ""]) }
            for key in report.onlyRight { table.add(["only in \(report.right)", key, "", "", ""]) }
            for change in report.changed {
                if change.fields.isEmpty { table.add(["changed", change.key, "", "", ""]) }
                for field in change.fields { table.add(["changed", change.key, field.field, field.left, field.right]) }
            }
            if !table.rows.isEmpty { print(table.rendered) }
        }
        if report.differences > 0 || report.state != "done" { throw ExitCode(1) }
    }
}

/// A one-line progress count on a terminal's standard error while a system is read; silent
/// when standard error is not a terminal, so scripts and logs stay clean.
/// Unchecked: its mutable state is only touched under `lock`.
final class Progress: @unchecked Sendable {
    private let terminal = isatty(2) == 1
    private let lock = NSLock()
    private var last = Date.distantPast
    private var shown = false

    func update(_ system: String, _ rows: Int) {
        guard terminal else { return }
        lock.lock()
        defer { lock.unlock() }
        guard Date().timeIntervalSince(last) > 0.1 else { return }
        last = Date()
        shown = true
        let bar = String(repeating: "█", count: min(30, rows / 10_000 % 31)).padding(toLength: 30, withPad: "·", startingAt: 0)
        FileHandle.standardError.write(Data("\r  reading \(system) \(bar) \(rows) rows".utf8))
    }

    func finish() {
        guard terminal, shown else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
