import ArgumentParser
import Foundation
import FerryCore
import FerryGateway

struct ReconcileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Compare two systems' copies of an entity by record digests and report where they differ.",
        discussion: """
            Both systems are read through their adapters and mapped into the canonical form, so
            their dialects do not matter; fields marked 'compare: ignore' are left out and
            'tolerance:' applies to numbers. Keys and personal values are shown masked. The run
            is audited with its counts and a digest of the differences. Exits 0 when the copies
            agree, 1 when they differ.

            Example:
              ferry reconcile --left approval --right approval-backup --config ferry.yaml --node jinhong-gw
            """)

    @Option(name: .long, help: "One system.") var left: String
    @Option(name: .long, help: "The other system, in the same zone.") var right: String
    @Option(name: .long, help: "The entity, when the systems share more than one.") var entity: String?
    @OptionGroup var options: NodeOptions
    @Flag(name: .long, help: "Print JSON.") var json = false
    @Flag(name: .long, help: "Print CSV, one difference a line.") var csv = false

    func run() throws {
        let report = try reporting {
            try ReconcileTools.compare(config: options.config, node: options.node, left: left, right: right, entity: entity,
                actor: "operator:\(ProcessInfo.processInfo.environment["USER"] ?? "?")")
        }
        if json {
            let value: Value = .object([
                "left": .string(report.left), "right": .string(report.right), "entity": .string(report.entity),
                "left_records": .int(Int64(report.leftRecords)), "right_records": .int(Int64(report.rightRecords)),
                "matched": .int(Int64(report.matched)), "within_tolerance": .int(Int64(report.withinTolerance)),
                "only_left": .list(report.onlyLeft.map(Value.string)), "only_right": .list(report.onlyRight.map(Value.string)),
                "changed": .list(report.changed.map { change in
                    .object(["key": .string(change.key), "fields": .list(change.fields.map {
                        .object(["field": .string($0.field), "left": .string($0.left), "right": .string($0.right)])
                    })])
                }),
                "result_digest": .string(report.resultDigest),
            ])
            print(String(decoding: CanonicalJSON.encode(value), as: UTF8.self))
        } else if csv {
            func cell(_ text: String) -> String { text.contains(where: { ",\"\n".contains($0) }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text }
            print("difference,key,field,\(cell(report.left)),\(cell(report.right))")
            for key in report.onlyLeft { print("only in \(cell(report.left)),\(cell(key)),,,") }
            for key in report.onlyRight { print("only in \(cell(report.right)),\(cell(key)),,,") }
            for change in report.changed {
                for field in change.fields { print("changed,\(cell(change.key)),\(cell(field.field)),\(cell(field.left)),\(cell(field.right))") }
            }
        } else {
            print("\(report.entity): \(report.left) \(report.leftRecords) records, \(report.right) \(report.rightRecords) records")
            print("  matched \(report.matched)\(report.withinTolerance > 0 ? " (\(report.withinTolerance) within tolerance)" : ""), only in \(report.left) \(report.onlyLeft.count), only in \(report.right) \(report.onlyRight.count), changed \(report.changed.count)")
            print("  \(report.differingLeaves) of \(report.leaves) ranges differed; \(report.fingerprintsCompared) fingerprints compared")
            if report.unreadable.left + report.unreadable.right > 0 {
                print("  not compared: \(report.unreadable.left) rows of \(report.left) and \(report.unreadable.right) of \(report.right) that their mappings refuse")
            }
            var table = Table(["difference", "key", "field", report.left, report.right])
            for key in report.onlyLeft { table.add(["only in \(report.left)", key, "", "", ""]) }
            for key in report.onlyRight { table.add(["only in \(report.right)", key, "", "", ""]) }
            for change in report.changed {
                for field in change.fields { table.add(["changed", change.key, field.field, field.left, field.right]) }
            }
            if !table.rows.isEmpty { print(table.rendered) }
        }
        if report.differences > 0 { throw ExitCode(1) }
    }
}
