import ArgumentParser
import Foundation
import FerryCore
import FerryNode
import FerryOps

struct QueueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue", abstract: "Inspect a node's queue and manage its checkpoints.",
        subcommands: [Status.self, List.self, Show.self, Dead.self, Retry.self, Purge.self, Requeue.self, ResetCheckpoint.self])

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue depths, oldest ages, undelivered bundles, missing sequences and cursors.",
            discussion: """
                Example:
                  ferry queue status --config ferry.yaml --node jinhong-gw
                  ferry queue status --config ferry.yaml --node jinhong-gw --json
                """)

        @OptionGroup var options: NodeOptions
        @OptionGroup var scope: Scope

        @Flag(name: .long, help: "Print JSON.")
        var json = false

        func run() throws {
            let status = try reporting { try QueueTools.status(try options.queue(), lane: scope.lane, flow: scope.flow) }
            if json {
                print(String(decoding: CanonicalJSON.encode(status.value), as: UTF8.self))
                return
            }
            var out = Table(["outbound lane", "pending", "oldest pending", "undelivered", "oldest undelivered", "delivered", "next seq"])
            for lane in status.outbound {
                out.add([lane.lane, "\(lane.pending)", lane.oldestPending ?? "-", "\(lane.undelivered)", lane.oldestUndelivered ?? "-",
                    "\(lane.delivered)", "\(lane.nextSequence)"])
            }
            print(out.rendered)
            print("")
            var inbound = Table(["inbound lane", "complete up to", "highest", "missing"])
            for lane in status.inbound {
                inbound.add([lane.lane, "\(lane.watermark)", "\(lane.highest)", lane.missing.isEmpty ? "-" : lane.missing.map(String.init).joined(separator: ",")])
            }
            print(inbound.rendered)
            print("")
            print("inbox pending \(status.inboxPending) (\(status.retrying) retrying), dead letters \(status.deadLetters), quarantined \(status.quarantined)")
            for cursor in status.cursors { print("cursor \(cursor.flow) = \(cursor.value) (at \(cursor.updatedAt))") }
            for claim in status.claims { print("job \(claim.name) held by worker \(claim.holder) until \(claim.expiresAt)") }
            for warning in status.warnings { print("warning: \(warning)") }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List bundles in and out, newest first, and with --records the records still waiting.",
            discussion: """
                States out: sealing, sealed, shipped, delivered, broadcast, dead. States in:
                accepted, applied, receipted. With --records: pending and dead records, and \
                quarantined ones with the rule that stopped them (--state quarantined for those \
                alone). Record keys are masked where the entity's key is personal.

                Example:
                  ferry queue list --config ferry.yaml --node extranet-gw --lane 'extranet→jinhong'
                  ferry queue list --config ferry.yaml --node jinhong-gw --records --flow applications-in --json
                """)

        @OptionGroup var options: NodeOptions

        @OptionGroup var scope: Scope
        @Option(name: .long, help: "Only bundles or records in this state.") var state: String?
        @Flag(name: .long, help: "Also list records waiting in the outbox and the inbox.") var records = false
        @Option(name: .long, help: "At most this many rows of each kind.") var limit = 50
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() throws {
            let listing = try reporting {
                try QueueTools.list(
                    try options.queue(), lane: scope.lane, flow: scope.flow, state: state, records: records, limit: limit)
            }
            if json {
                print(String(decoding: CanonicalJSON.encode(listing.value), as: UTF8.self))
                return
            }
            var bundles = Table(["dir", "lane", "seq", "state", "kind", "records", "at", "attempts", "id"])
            for b in listing.bundles {
                bundles.add([b.direction, b.lane, "\(b.sequence)", b.state, b.kind, "\(b.records)", b.at, "\(b.attempts)", b.id])
            }
            print(bundles.rendered)
            for b in listing.bundles where b.error != nil { print("bundle \(b.lane) #\(b.sequence): \(b.error ?? "")") }
            guard records else { return }
            print("")
            var table = Table(["queue", "lane", "flow", "entity", "record", "version", "state", "since", "attempts"])
            for r in listing.records {
                table.add([r.queue, r.lane, r.flow, r.entity, r.key, r.version, r.state, r.at, "\(r.attempts)"])
            }
            print(table.rendered)
            guard !listing.quarantined.isEmpty else { return }
            print("")
            var stopped = Table(["quarantined", "flow", "stage", "record", "position", "reasons"])
            for q in listing.quarantined { stopped.add([q.at, q.flow, q.stage, q.key, q.position ?? "-", q.issues]) }
            print(stopped.rendered)
        }
    }

    struct ResetCheckpoint: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-checkpoint",
            abstract: "Clear or set a flow's source cursor, so the next sync re-reads from there (audited).",
            discussion: """
                Re-reading is safe: receivers skip versions they already hold. The old and new \
                values and the operator are written to the audit log.

                Example:
                  ferry queue reset-checkpoint applications-in --config ferry.yaml --node extranet-gw
                """)

        @Argument(help: "The flow.")
        var flow: String

        @OptionGroup var options: NodeOptions

        @Option(name: .long, help: "Set the cursor to this value instead of clearing it.")
        var to: String?

        func run() throws {
            let previous = try reporting {
                try QueueTools.resetCheckpoint(try options.queue(), flow: flow, to: to, actor: operatorName)
            }
            print("cursor of \(flow) was \(previous ?? "unset"), now \(to ?? "unset")")
        }
    }

    struct Dead: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List dead letters: items that ran out of attempts, with stage, reason and origin.",
            discussion: "Example:\n  ferry queue dead --config ferry.yaml --node jinhong-gw")

        @OptionGroup var options: NodeOptions
        @OptionGroup var scope: Scope

        @Flag(name: .long, help: "Print JSON.")
        var json = false

        func run() throws {
            let letters = try reporting { try QueueTools.deadLetters(try options.queue(), lane: scope.lane, flow: scope.flow) }
            if json {
                print(String(decoding: CanonicalJSON.encode(.list(letters.map(\.value))), as: UTF8.self))
                return
            }
            var table = Table(["id", "stage", "flow", "record", "attempts", "since", "reason"])
            for letter in letters {
                table.add(["\(letter.id)", letter.stage, letter.flow ?? "-", letter.subject, "\(letter.attempts)", letter.at, letter.reason])
            }
            print(table.rendered)
            print("\(letters.count) dead letters")
        }
    }

    /// Narrows a queue view to one channel direction or one flow.
    struct Scope: ParsableArguments {
        @Option(name: .long, help: "Only this lane, FROMZONE→TOZONE (FROMZONE->TOZONE also works).")
        var lane: String?
        @Option(name: .long, help: "Only this flow.")
        var flow: String?

        mutating func validate() throws {
            lane = lane?.replacingOccurrences(of: "->", with: "→")
        }
    }

    /// Which dead letters an operator means: one by id, or all of them.
    struct DeadLetterSelection: ParsableArguments {
        @Option(name: .long, help: "One dead letter's id.") var id: Int64?
        @Flag(name: .long, help: "Every dead letter.") var all = false

        func validate() throws {
            guard (id != nil) != all else { throw ValidationError("give either --id N or --all") }
        }
    }

    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-drive dead letters: their records get fresh attempts on the next receive (audited).",
            discussion: """
                Example:
                  ferry queue retry --all --config ferry.yaml --node jinhong-gw
                  ferry queue retry --id 12 --config ferry.yaml --node jinhong-gw
                """)

        @OptionGroup var options: NodeOptions
        @OptionGroup var selection: DeadLetterSelection

        func run() throws {
            let count = try reporting {
                try QueueTools.settleDeadLetters(.redrive, try options.queue(), id: selection.id, actor: operatorName)
            }
            print("re-drove \(count) dead letters")
        }
    }

    struct Requeue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-map quarantined rows with the current mapping and enqueue the ones that pass (audited).",
            discussion: """
                Quarantine keeps each refused row's raw input, sealed with the node's key. After \
                fixing the mapping (a new column mapped, a code added to a table), this reads \
                them again; rows that still fail stay with their new reasons. Malformed input \
                (a line that was never a row) stays: fix it at the source and send it again.

                Example:
                  ferry queue requeue --quarantined --flow applications-in --config ferry.yaml --node extranet-gw
                  ferry queue requeue --quarantined --rule unmapped_fields --config ferry.yaml --node extranet-gw
                """)

        @OptionGroup var options: NodeOptions

        @Flag(name: .long, help: "Re-drive quarantined rows (the only kind of requeue there is; required, so the intent is explicit).")
        var quarantined = false

        @Option(name: .long, help: "Only rows of this flow.")
        var flow: String?

        @Option(name: .long, help: "Only rows stopped by this rule (unmapped_fields, required, cn_resident_id, …).")
        var rule: String?

        func validate() throws {
            guard quarantined else { throw ValidationError("say what to requeue: --quarantined") }
        }

        func run() throws {
            let report = try reporting {
                let node = try Node(deployment: Deployment.load(options.config), name: options.node, logger: makeLogger())
                return try node.requeueQuarantined(flow: flow, rule: rule, actor: operatorName)
            }
            print("examined \(report.examined): requeued \(report.requeued), unchanged \(report.unchanged), superseded \(report.superseded), "
                + "still refused \(report.stillRefused), malformed \(report.malformed)")
        }
    }

    struct Purge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give up on dead letters: their records are reported back as rejected (audited).",
            discussion: "Example:\n  ferry queue purge --all --config ferry.yaml --node jinhong-gw")

        @OptionGroup var options: NodeOptions
        @OptionGroup var selection: DeadLetterSelection

        func run() throws {
            let count = try reporting {
                try QueueTools.settleDeadLetters(.purge, try options.queue(), id: selection.id, actor: operatorName)
            }
            print("purged \(count) dead letters")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One sent bundle: lane, sequence, state, copies, and the records its receipt did not report applied.",
            discussion: "Example:\n  ferry queue show 3f2a…9c --config ferry.yaml --node extranet-gw")

        @Argument(help: "The bundle id (from the audit log or ferry bundle inspect).")
        var bundle: String

        @OptionGroup var options: NodeOptions

        @Flag(name: .long, help: "Print JSON.")
        var json = false

        func run() throws {
            let view = try reporting { try QueueTools.show(try options.queue(), bundle: bundle) }
            if json {
                print(String(decoding: CanonicalJSON.encode(view.value), as: UTF8.self))
                return
            }
            let b = view.bundle
            print("bundle \(b.id) (\(b.kind)) on \(b.lane), sequence \(b.sequence): \(b.state.rawValue), \(b.records) records, dropped \(b.copies) time(s)")
            if let outcome = view.outcome { print("receipt: \(outcome)") }
            if !view.unapplied.isEmpty {
                var table = Table(["record", "version", "outcome", "detail"])
                for row in view.unapplied { table.add([row.key, row.version, row.outcome, row.detail ?? ""]) }
                print(table.rendered)
            }
        }
    }
}

/// Who is acting, for the audit log of operator actions.
var operatorName: String { ProcessInfo.processInfo.environment["USER"] ?? "operator" }
