public import Foundation
public import FerryCore
public import FerryConsole
import FerryAudit
import FerryQueue
public import Logging
import ServiceLifecycle
public import FerryNode

/// The web console's view of one node: what auditors read and operators do, answered
/// from the node's store and the deployment, masked as the CLI masks.
public struct NodeConsole: ConsoleBackend {
    let node: Node
    /// The node's store and deployment as the queue tools take them: opened once.
    let queue: QueueTools.Target

    public init(node: Node) {
        self.node = node
        queue = QueueTools.Target(node)
    }

    public func authenticate(user: String, password: String) throws -> ConsoleRole? {
        try node.store.read { tx in try ConsoleUsers.authenticate(tx, user: user, password: password) }
    }

    public func userStamp(_ user: String) throws -> String? {
        try node.store.read { tx in try ConsoleUsers.stamp(tx, user: user) }
    }

    public func audit(kind: String, actor: String, details: [String: Value]) throws {
        // The console names kinds as text (it does not link the audit module); only known ones are written.
        guard AuditEvent.Kind.known.contains(AuditEvent.Kind(rawValue: kind)) else {
            throw FerryError(.internalFailure, "the console asked to audit an unknown kind of event", hint: "this is a bug in Ferry; please report it")
        }
        try node.store.write { tx in try node.audit.append(tx, AuditEvent(AuditEvent.Kind(rawValue: kind), actor: actor, details: details)) }
    }

    public func dashboard() throws -> Value {
        let status = try QueueTools.status(queue)
        var chain: [String: Value]
        do {
            let verification = try node.verifyAudit()
            chain = ["verified": true, "entries": .int(Int64(verification.entries)), "checkpoints": .int(Int64(verification.checkpoints)),
                "last_checkpoint": verification.lastCheckpoint.map(Value.int) ?? .null]
        } catch let error as FerryError {
            chain = ["verified": false, "error": .string(error.message)]
        }
        // Outbound flows: the last pull here. Inbound ones: the last bundle received on their lane.
        let activity = try node.store.read { tx in try AuditQuery.activity(tx) }
        let (lastPulled, lastReceived, rejected) = (activity.lastPulled, activity.lastReceived, activity.rejected)
        let cursors = Dictionary(status.cursors.map { ($0.flow, $0.value) }, uniquingKeysWith: { a, _ in a })
        let zones = Set([node.zone])
        let flows: [Value] = node.topology.flows.filter { flow in
            let from = node.topology.system(named: flow.from)?.zone
            return from.map(zones.contains) == true || flow.to.contains { node.topology.system(named: $0)?.zone == node.zone }
        }.map { flow in
            .object(["name": .string(flow.name), "from": .string(flow.from), "to": .string(flow.to.joined(separator: ", ")),
                "last_sync": .string(lastPulled[flow.name].map { "pulled \($0)" }
                    ?? node.topology.system(named: flow.from).flatMap { lastReceived["\($0.zone)→\(node.zone)"] }.map { "received \($0)" } ?? "-"), "cursor": .string(cursors[flow.name].map { String($0.prefix(40)) } ?? "-")])
        }
        let lanes: [Value] = status.outbound.map { lane in
            .object(["lane": .string(lane.lane), "pending": .int(Int64(lane.pending)), "undelivered": .int(Int64(lane.undelivered)),
                "oldest_undelivered": .string(lane.oldestUndelivered ?? "-"), "delivered": .int(Int64(lane.delivered))])
        }
        return .object([
            "node": .string(node.name), "zone": .string(node.zone), "chain": .object(chain), "flows": .list(flows), "lanes": .list(lanes),
            "inbox_pending": .int(Int64(status.inboxPending)), "dead_letters": .int(Int64(status.deadLetters)),
            "quarantined": .int(Int64(status.quarantined)), "rejected_bundles": .int(Int64(rejected)),
        ])
    }

    public func auditLog(_ filters: [String: String]) throws -> Value {
        var filter = AuditTools.Filter()
        filter.node = node.name
        filter.since = try filters["since"].map { try AuditTools.bound($0, "since") }
        filter.until = try filters["until"].map { try AuditTools.bound($0, "until") }
        (filter.flow, filter.system, filter.bundle, filter.key) = (filters["flow"], filters["system"], filters["bundle"], filters["key"])
        filter.kinds = filters["kind"].map { [$0] } ?? []
        filter.limit = filters["limit"].flatMap(Int.init).map { min(max($0, 1), 1000) } ?? 200
        return .object(["entries": .list(try AuditTools.log(node.deployment, filter: filter).reversed().map(\.value))])
    }

    public func trace(key: String) throws -> Value {
        try AuditTrace.trace(node.deployment, key: key).value
    }

    public func deadLetters() throws -> Value {
        .object(["letters": .list(try QueueTools.deadLetters(queue).map { letter in
            var object: [String: Value] = [
                "id": .int(letter.id), "stage": .string(letter.stage), "subject": .string(letter.subject), "reason": .string(letter.reason),
                "attempts": .int(Int64(letter.attempts)), "at": .string(letter.at),
            ]
            if let flow = letter.flow { object["flow"] = .string(flow) }
            if let bundle = letter.bundle { object["bundle"] = .string(bundle) }
            if let position = letter.position { object["position"] = .string(position) }
            return .object(object)
        })])
    }

    public func redrive(deadLetter id: Int64, actor: String) throws -> String {
        let count = try QueueTools.settleDeadLetters(.redrive, queue, id: id, actor: actor)
        guard count > 0 else { throw FerryError(.config, "no dead letter \(id)", hint: "it may have been re-driven already") }
        return "re-drove dead letter \(id)"
    }

    public func retry(bundle id: String, actor: String) throws -> String {
        guard let letter = try QueueTools.deadLetters(queue).first(where: { $0.bundle == id && $0.stage == "ship" }) else {
            throw FerryError(.config, "bundle \(id) is not a dead letter of the ship stage", hint: "only bundles that could not be shipped are retried")
        }
        _ = try QueueTools.settleDeadLetters(.redrive, queue, id: letter.id, actor: actor)
        return "bundle \(id) goes back to shipping"
    }

    public func export(since: String, until: String, actor: String) throws -> URL {
        let folder = node.stagingDirectory.appendingPathComponent("exports")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let (since, until) = (try AuditTools.bound(since, "since"), try AuditTools.bound(until, "until"))
        // A name of its own per download: an earlier export of the same range stays as it was.
        let stamp = Timestamp.format(Date()).filter(\.isNumber)
        let file = folder.appendingPathComponent("audit-\(node.name)-\(since.prefix(10))-\(until.prefix(10))-\(stamp)-\(UUID().uuidString.prefix(8)).ndjson")
        _ = try AuditTools.export(node: node, since: since, until: until, to: file, actor: actor)
        return file
    }


    /// `ferry console`: the web console alone, until SIGTERM or SIGINT.
    public static func serve(_ deployment: Deployment, node name: String, host: String, port: Int, tls: Topology.ServerTLS?, logger: Logger) async throws {
        let node = try Node(deployment: deployment, name: name, logger: logger)
        var options = ConsoleServer.Options()
        (options.host, options.port, options.tls) = (host, port, tls)
        var web = WebConsole.Options(node: name)
        web.trustedProxies = Set(node.topology.node(named: name)?.trustedProxies ?? [])
        web.secureCookies = tls != nil
        let server = ConsoleServer(options: options, metrics: ConsoleMetrics.bootstrap(), logger: logger,
            web: WebConsole(options: web, backend: NodeConsole(node: node))) { (true, []) }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: server)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        logger.notice("console listening", metadata: ["address": .string("\(tls == nil ? "http" : "https")://\(host):\(port)/")])
        try await group.run()
        node.shutdown()
    }
}
