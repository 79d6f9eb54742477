import ArgumentParser
import FerryNode
import FerryOps

struct Sync: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one flow once: pull, map, enqueue, pack, ship.",
        discussion: """
            Reads what changed in the flow's source since its cursor, maps it to the canonical \
            entity (bad records go to quarantine with their rule), enqueues it in the same \
            transaction as the new cursor, then seals bundles and drops them in the channel's \
            transfer directory. Run it on the node of the source's zone.

            Example:
              ferry sync applications-to-jinhong --config ferry.yaml --node extranet-gw
            """)

    @Argument(help: "The flow's name, as in the topology.")
    var flow: String

    @OptionGroup var options: NodeOptions

    @Flag(name: .long, help: "Seal everything queued now, even less than a channel's bundle_records/bundle_bytes before its bundle_age.")
    var flush = false

    func run() throws {
        let report = try reporting {
            let node = try Node(deployment: Deployment.load(options.config), name: options.node, logger: makeLogger())
            return try node.sync(flow: flow, flush: flush)
        }
        var counts = "pulled \(report.pulled), mapped \(report.mapped), unchanged \(report.unchanged), quarantined \(report.quarantined), enqueued \(report.enqueued)"
        if report.untriggered > 0 { counts += ", not triggered \(report.untriggered)" }
        if report.appliedLocally + report.rejectedLocally > 0 { counts += ", applied in zone \(report.appliedLocally), rejected in zone \(report.rejectedLocally)" }
        print("flow \(report.flow): \(counts)")
        var table = Table(["lane", "seq", "kind", "records", "file"])
        for bundle in report.bundles { table.add([bundle.lane, "\(bundle.sequence)", bundle.kind, "\(bundle.records)", bundle.file]) }
        if !report.bundles.isEmpty { print(table.rendered) }
        for line in report.waiting { print("waiting: \(line)") }
        for line in report.held { print("held: \(line)") }
        for line in report.refused { print("refused: \(line)") }
    }
}
