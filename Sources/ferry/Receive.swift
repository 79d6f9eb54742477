import ArgumentParser
import FerryNode
import FerryOps

struct Receive: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Process inbound bundles once: verify, open, apply, receipt.",
        discussion: """
            Takes every complete bundle in the transfer directories that lead to this node's \
            zone, verifies sender, signature, addressing, expiry and sequence, stages the \
            records, applies them to this zone's target systems and sends receipts back where \
            a return path exists. Rejected bundles go to quarantine/ with a reason file.

            Example:
              ferry receive --config ferry.yaml --node jinhong-gw
            """)

    @OptionGroup var options: NodeOptions

    func run() throws {
        let report = try reporting {
            let node = try Node(deployment: Deployment.load(options.config), name: options.node, logger: makeLogger())
            return try node.receive()
        }
        print("bundles accepted \(report.bundlesAccepted), rejected \(report.bundlesRejected), receipts accepted \(report.receiptsAccepted)")
        print("records staged \(report.recordsStaged), applied \(report.applied), skipped \(report.skipped), rejected \(report.rejected)")
        for receipt in report.receiptsSent { print("receipt sent on \(receipt.lane) seq \(receipt.sequence) (\(receipt.records) outcomes)") }
        for rejection in report.rejections { print("rejected, moved to quarantine/ with its reason: \(rejection)") }
        for missing in report.missing { print("warning: \(missing)") }
        for step in report.reconciled { print("reconcile: \(step)") }
        if report.bundlesRejected > 0 { throw ExitCode(3) }
    }
}
