import ArgumentParser
import FerryNode
import FerryOps

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a node unattended: scheduled flows, watched transfer areas, graceful stop.",
        discussion: """
            Runs every flow whose source is in this node's zone on its schedule (five-field cron \
            in local time, or "@every 30s"), takes in arriving bundles every --poll seconds and \
            resumes held ones, and verifies the audit chain every --audit-verify-every seconds. SIGTERM or SIGINT lets the batch in flight finish, then exits 0. \
            Ops/systemd/ferry@.service runs it under systemd.

            Example:
              ferry run --config /etc/ferry/ferry.yaml --node jinhong-gw --log-format json
            """)

    @OptionGroup var options: NodeOptions

    @Option(name: .long, help: "Seconds between looks at the inbound transfer areas.")
    var poll: Double = 5

    @Option(name: .long, help: "Seconds between verifications of the audit chain (metric ferry_audit_chain_ok).")
    var auditVerifyEvery: Double = 3600

    @Option(name: .long, help: "text or json (one JSON object per line).")
    var logFormat: LogFormat = .text

    @Option(name: .long, help: "Where to serve /healthz and /metrics (host:port), or 'off'.")
    var listen = "127.0.0.1:9464"

    @Flag(name: .long, help: "Also serve the web console on the --listen address (users: ferry console user add).")
    var console = false

    func validate() throws {
        guard auditVerifyEvery.isFinite, auditVerifyEvery > 0 else {
            throw ValidationError("--audit-verify-every takes a number of seconds above 0, e.g. 3600")
        }
    }

    func run() async throws {
        var daemon = Daemon.Options(config: options.config, node: options.node)
        daemon.poll = poll
        daemon.auditVerifyInterval = auditVerifyEvery
        if console {
            daemon.console = { node in NodeConsole(node: node) }
        }
        if listen == "off" {
            daemon.listen = nil
        } else {
            guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) else {
                throw ValidationError("--listen takes host:port, e.g. 127.0.0.1:9464, or off")
            }
            daemon.listen = (String(listen[..<colon]), port)
        }
        let logger = makeLogger(format: logFormat, defaultLevel: .info)
        try await reportingAsync { try await Daemon.run(daemon, logger: logger) }
    }
}
