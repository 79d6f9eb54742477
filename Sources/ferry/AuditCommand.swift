import ArgumentParser
import Foundation
import FerryCore
import FerryAudit
import FerryNode
import FerryOps

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Verify, search, trace and export nodes' audit logs.",
        subcommands: [Verify.self, Log.self, Trace.self, Stats.self, Export.self])

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a node's audit log, or a sequence of exports, with public keys only.",
            discussion: """
                Recomputes the hash chain, each batch entry's record index against its Merkle \
                root, and every signed checkpoint; names the first bad entry. Exits 0 when all \
                holds, 1 otherwise. With --export, checks export files (oldest first) offline:
                each one's signature, entries and the link to the export before it.

                Examples:
                  ferry audit verify --config ferry.yaml --node jinhong-gw
                  ferry audit verify --config ferry.yaml --export 2026-10.audit 2026-11.audit
                """)

        @Option(name: .long, help: "The topology file (its trust list holds the public keys).") var config: String
        @Option(name: .long, help: "The node whose store to check.") var node: String?
        @Option(name: .long, parsing: .upToNextOption, help: "Export files to check instead, oldest first.") var export: [String] = []

        func run() throws {
            if !export.isEmpty {
                let checks = try reporting { try AuditTools.verifyExports(try Deployment.load(config), files: export.map { URL(fileURLWithPath: $0) }) }
                for check in checks {
                    print("\(check.file): export #\(check.number) of \(check.node), entries \(check.firstSequence)–\(check.lastSequence) (\(check.entries)), signature and chain verified, digest \(check.digest)")
                }
                print("\(checks.count) exports verified, each chained to the one before")
                return
            }
            guard let node else { throw ValidationError("give --node, or --export FILES") }
            let result = try reporting { try AuditTools.verify(try Deployment.load(config), node: node) }
            let signed = result.lastCheckpoint.map { "last signed checkpoint at entry \($0)" } ?? "no signed checkpoint yet"
            print("audit log of \(node): \(result.entries) entries, \(result.chain) chain verified, \(result.indexedRecords) indexed records match their roots, \(result.checkpoints) checkpoints verified (\(signed)), head \(result.lastHash)")
        }
    }

    struct Filters: ParsableArguments {
        @Option(name: .long, help: "The topology file.") var config: String
        @Option(name: .long, help: "Only this node's log (default: every node whose store is on this machine).") var node: String?
        @Option(name: .long, help: "From this UTC time (2026-11-24 or 2026-11-24T09:00:00Z).") var since: String?
        @Option(name: .long, help: "Before this UTC time.") var until: String?
    }

    struct Log: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Search audit entries.",
            discussion: """
                Filters combine. --key takes a record key as users know it (composite keys \
                joined by /); it is turned into its keyed digest before the lookup, so the log \
                never holds it in clear.

                Examples:
                  ferry audit log --config ferry.yaml --kind rejected --since 2026-11-01
                  ferry audit log --config ferry.yaml --node jinhong-gw --key 350212198001014532 --json
                """)

        @OptionGroup var filters: Filters
        @Option(name: .long, help: "A flow name.") var flow: String?
        @Option(name: .long, help: "A system name.") var system: String?
        @Option(name: .long, help: "An entry kind (repeatable): pulled, mapped, quarantined, sealed, shipped, received, rejected, applied…") var kind: [String] = []
        @Option(name: .long, help: "A bundle id.") var bundle: String?
        @Option(name: .long, help: "A record key.") var key: String?
        @Option(name: .long, help: "The entity of --key (default: every entity).") var entity: String?
        @Option(name: .long, help: "At most this many entries (the newest).") var limit = 200
        @Flag(name: .long, help: "Print JSON lines.") var json = false

        func run() throws {
            var filter = AuditTools.Filter()
            filter.node = filters.node
            (filter.flow, filter.system, filter.kinds, filter.bundle, filter.key, filter.entity, filter.limit) = (flow, system, kind, bundle, key, entity, limit)
            let entries = try reporting {
                filter.since = try filters.since.map { try AuditTools.bound($0, "--since") }
                filter.until = try filters.until.map { try AuditTools.bound($0, "--until") }
                return try AuditTools.log(try Deployment.load(filters.config), filter: filter)
            }
            if json {
                for entry in entries { print(String(decoding: CanonicalJSON.encode(entry.value), as: UTF8.self)) }
                return
            }
            var table = Table(["node", "seq", "at", "kind", "flow/lane", "bundle", "subject", "details"])
            for entry in entries {
                let details = entry.event.details.sorted { $0.key < $1.key }.compactMap { key, value in value.text.map { "\(key)=\($0)" } }.joined(separator: " ")
                table.add([entry.node, "\(entry.sequence)", entry.at, entry.event.kind.rawValue, entry.event.flow ?? entry.event.lane ?? "",
                    entry.event.bundle.map { String($0.prefix(12)) } ?? "", entry.event.subject ?? "", String(details.prefix(90))])
            }
            print(table.rendered)
            print("\(entries.count) entries")
        }
    }

    struct Trace: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Follow one record across zones, with a Merkle inclusion proof at each hop.",
            discussion: """
                Reads the logs of every node whose store is on this machine (or --node), and the \
                far side's evidence that came back in receipts, so it works from either side of \
                a gap.

                Example:
                  ferry audit trace SQ2026000123 --config ferry.yaml
                  ferry audit trace sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 --config ferry.yaml
                """)

        @Argument(help: "The record key (composite keys joined by /), or a document digest (sha256:… or sm3:…).") var key: String
        @Option(name: .long, help: "The topology file.") var config: String
        @Option(name: .long, help: "Only this node's log and the evidence it holds.") var node: String?
        @Option(name: .long, help: "The entity of the key (default: every entity).") var entity: String?
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() throws {
            let trace = try reporting { try AuditTrace.trace(try Deployment.load(config), key: key, entity: entity, node: node) }
            if json {
                print(String(decoding: CanonicalJSON.encode(trace.value), as: UTF8.self))
                return
            }
            guard !trace.hops.isEmpty else {
                print("no audit entry mentions that key")
                throw ExitCode(1)
            }
            for hop in trace.hops {
                var line = "\(hop.at)  \(hop.zone)/\(hop.node) #\(hop.sequence)  \(hop.kind)"
                if let outcome = hop.outcome { line += " [\(outcome)]" }
                print(line)
                print("    \(hop.detail)")
                if let proof = hop.proof {
                    print("    proof: leaf \(proof.index + 1) of \(proof.count), \(proof.path.count) siblings, root \(proof.root.prefix(16))… \(proof.valid ? "valid" : "INVALID")")
                }
            }
            if trace.hops.contains(where: { $0.proof?.valid == false }) { throw ExitCode(1) }
        }
    }

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Count audit entries by kind, by reason and by day.")

        @OptionGroup var filters: Filters
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() throws {
            let stats = try reporting {
                try AuditTools.stats(try Deployment.load(filters.config), node: filters.node, since: filters.since.map { try AuditTools.bound($0, "--since") },
                    until: filters.until.map { try AuditTools.bound($0, "--until") })
            }
            if json {
                let value: Value = .object([
                    "by_kind": .object(Dictionary(uniqueKeysWithValues: stats.byKind.map { ($0.kind, Value.int(Int64($0.count))) })),
                    "by_reason": .list(stats.byReason.map { .object(["kind": .string($0.kind), "reason": .string($0.reason), "count": .int(Int64($0.count))]) }),
                    "by_day": .object(Dictionary(uniqueKeysWithValues: stats.byDay.map { ($0.day, Value.int(Int64($0.count))) })),
                ])
                print(String(decoding: CanonicalJSON.encode(value), as: UTF8.self))
                return
            }
            var kinds = Table(["kind", "entries"])
            for row in stats.byKind { kinds.add([row.kind, "\(row.count)"]) }
            print(kinds.rendered + "\n")
            var reasons = Table(["kind", "reason", "entries"])
            for row in stats.byReason { reasons.add([row.kind, row.reason, "\(row.count)"]) }
            print(reasons.rendered + "\n")
            var days = Table(["day", "entries"])
            for row in stats.byDay { days.add([row.day, "\(row.count)"]) }
            print(days.rendered)
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a signed export of a node's audit entries, chained to its previous export.",
            discussion: """
                Runs on the node (it signs with the node key). Check exports offline with \
                'ferry audit verify --export FILES'.

                Example:
                  ferry audit export --config ferry.yaml --node jinhong-gw --since 2026-11-01 --until 2026-12-01 --out 2026-11.audit
                """)

        @OptionGroup var options: NodeOptions
        @Option(name: .long, help: "From this UTC time.") var since: String
        @Option(name: .long, help: "Before this UTC time.") var until: String
        @Option(name: .long, help: "The file to write.") var out: String

        func run() throws {
            let summary = try reporting {
                try AuditTools.export(try Deployment.load(options.config), node: options.node, since: AuditTools.bound(since, "--since"), until: AuditTools.bound(until, "--until"),
                    to: URL(fileURLWithPath: out))
            }
            // Standard error, so '--out /dev/stdout' carries nothing but the export.
            FileHandle.standardError.write(Data(
                "wrote \(out): export #\(summary.number), entries \(summary.firstSequence)–\(summary.lastSequence) (\(summary.entries)), digest \(summary.digest)\n".utf8))
        }
    }

}
