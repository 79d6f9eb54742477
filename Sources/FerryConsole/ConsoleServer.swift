public import Foundation
import Hummingbird
public import Logging
import Prometheus
import Metrics
public import ServiceLifecycle

/// The operator-facing HTTP endpoint of a running node: `/healthz` and Prometheus
/// `/metrics`, on 127.0.0.1 unless told otherwise. Later the web console joins it.
public struct ConsoleServer: Service {
    public struct Options: Sendable {
        public var host = "127.0.0.1"
        public var port = 9464

        public init() {}
    }

    /// Whether the node is healthy, with a one-line reason when it is not.
    public typealias Health = @Sendable () async -> (healthy: Bool, detail: String)

    let options: Options
    let registry: PrometheusCollectorRegistry
    let health: Health
    let logger: Logger

    public init(options: Options, metrics: ConsoleMetrics, logger: Logger, health: @escaping Health) {
        self.options = options
        self.registry = metrics.registry
        self.health = health
        self.logger = logger
    }

    public func run() async throws {
        let router = Router()
        let registry = self.registry
        let health = self.health
        router.get("healthz") { _, _ -> Response in
            let (healthy, detail) = await health()
            return Response(
                status: healthy ? .ok : .serviceUnavailable, headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: (healthy ? "ok" : "unhealthy: \(detail)") + "\n")))
        }
        router.get("metrics") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        let app = Application(
            router: router, configuration: .init(address: .hostname(options.host, port: options.port), serverName: "ferry"),
            logger: logger)
        try await app.runService()
    }
}

/// The Prometheus registry every part of a node reports into through swift-metrics.
public struct ConsoleMetrics: Sendable {
    let registry: PrometheusCollectorRegistry

    /// Bootstraps swift-metrics once per process with a Prometheus registry.
    public static func bootstrap() -> ConsoleMetrics {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return ConsoleMetrics(registry: registry)
    }
}
