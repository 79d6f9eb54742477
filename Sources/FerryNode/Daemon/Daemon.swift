public import Foundation
public import Logging
import ServiceLifecycle
import FerryCore
import FerryQueue
public import FerryConsole

/// `ferry run`: one node, unattended. Scheduled flows run on their schedules, inbound
/// transfer areas are watched, held bundles resume; SIGTERM or SIGINT lets the batch in
/// flight finish, then the process exits.
public enum Daemon {
    public struct Options: Sendable {
        public var config: String
        public var node: String
        /// How often inbound transfer areas are looked at.
        public var poll: TimeInterval = 5
        /// How often the audit chain is verified, in seconds (the first time at start).
        public var auditVerifyInterval: TimeInterval = 3600
        /// Where `/healthz` and `/metrics` are served; nil serves nothing.
        public var listen: (host: String, port: Int)? = ("127.0.0.1", 9464)
        /// Serve the web console on the same listener, with the pages and actions this
        /// makes for the running node (FerryOps' `NodeConsole`); nil serves none.
        public var console: (@Sendable (Node) -> any ConsoleBackend)?

        public init(config: String, node: String) {
            self.config = config
            self.node = node
        }
    }

    public static func run(_ options: Options, logger: Logger) async throws {
        let metrics = ConsoleMetrics.bootstrap()
        let node = try Node(deployment: Deployment.load(options.config), name: options.node, logger: logger)
        let worker = NodeWorker()
        let health = HealthState()
        var services: [any Service] = [
            FlowScheduler(node: node, worker: worker, health: health, logger: logger),
            InboundWatcher(node: node, worker: worker, interval: options.poll, health: health, logger: logger),
            AuditWatcher(node: node, worker: worker, interval: options.auditVerifyInterval, health: health, logger: logger),
        ]
        if let listen = options.listen {
            var console = ConsoleServer.Options()
            console.host = listen.host
            console.port = listen.port
            console.tls = node.topology.node(named: options.node)?.tls
            console.uploadDirectory = node.stagingDirectory.appendingPathComponent("uploads")
            if !Loopback.isName(listen.host) && console.tls?.clientCA == nil {
                logger.warning("the bundle upload endpoint listens beyond loopback without client certificates (tls.client_ca); anyone who reaches the port can post to it",
                    metadata: ["address": .string("\(listen.host):\(listen.port)")])
            }
            var web: WebConsole?
            if let backend = options.console {
                var webOptions = WebConsole.Options(node: options.node)
                webOptions.secureCookies = console.tls != nil
                webOptions.trustedProxies = Set(node.topology.node(named: options.node)?.trustedProxies ?? [])
                web = WebConsole(options: webOptions, backend: backend(node))
            }
            services.append(ConsoleServer(options: console, metrics: metrics, logger: logger, upload: node.uploadHandler(), web: web) { await health.summary() })
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        logger.notice("node running", metadata: ["node": .string(options.node), "config": .string(options.config)])
        try await group.run()
        node.shutdown()
        logger.notice("node stopped", metadata: ["node": .string(options.node)])
    }
}
