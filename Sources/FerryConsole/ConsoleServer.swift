public import Foundation
import Hummingbird
import HummingbirdTLS
import NIOSSL
public import FerryCore
public import Logging
import Prometheus
import Metrics
public import ServiceLifecycle

/// The operator-facing HTTP endpoint of a running node: `/healthz` and Prometheus
/// `/metrics`, on 127.0.0.1 unless told otherwise, with the bundle upload endpoint and the
/// web console when they are given.
public struct ConsoleServer: Service {
    public struct Options: Sendable {
        public var host = "127.0.0.1"
        public var port = 9464
        /// Where pushed bundles are written while they arrive, before the node takes them.
        public var uploadDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-uploads")
        /// The largest bundle accepted over HTTP, in bytes; a lane's `max_bytes` lowers it.
        public var maxUploadBytes = 1 << 30
        /// Serve HTTPS with this certificate and key; with a client CA, mutual TLS.
        public var tls: Topology.ServerTLS?

        public init() {}
    }

    /// Whether the node is healthy, and the names of the checks that failed (`flow:NAME`,
    /// `receive`): `/healthz` needs no login, so it names checks and never says why; the
    /// reasons are in the node's log and on the console.
    public typealias Health = @Sendable () async -> (healthy: Bool, failing: [String])

    let options: Options
    let registry: PrometheusCollectorRegistry
    let health: Health
    let upload: Upload?
    let web: WebConsole?
    let logger: Logger

    public init(options: Options, metrics: ConsoleMetrics, logger: Logger, upload: Upload? = nil, web: WebConsole? = nil, health: @escaping Health) {
        self.options = options
        self.web = web
        self.registry = metrics.registry
        self.health = health
        self.upload = upload
        self.logger = logger
    }

    public func run() async throws {
        let router = Router(context: ConsoleRequestContext.self)
        router.add(middleware: SecurityHeaders(tls: options.tls != nil))
        router.add(middleware: LoopbackHost(enabled: Loopback.isName(options.host)))
        let registry = self.registry
        let health = self.health
        router.get("healthz") { _, _ -> Response in
            let (healthy, failing) = await health()
            let text = healthy ? "ok" : "unhealthy: \(failing.joined(separator: ", ")) failed; see the node's log"
            return Response(
                status: healthy ? .ok : .serviceUnavailable, headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: text + "\n")))
        }
        router.get("metrics") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        if let upload { BundleUploadRoute(options: options, handler: upload, logger: logger).register(on: router) }
        web?.register(on: router)
        let configuration = ApplicationConfiguration(address: .hostname(options.host, port: options.port), serverName: "ferry")
        // A connection that sends nothing for a minute is closed. Without it, sockets that
        // never finish their headers stay open for good, and four stalled uploads hold
        // every upload slot (`maxConcurrent`) until the node restarts.
        if let tls = options.tls {
            let app = Application(
                router: router, server: try .tls(.http1(configuration: .init(idleTimeout: .seconds(60))), tlsConfiguration: try Self.tlsConfiguration(tls)),
                configuration: configuration, logger: logger)
            try await app.runService()
        } else {
            try await Application(router: router, server: .http1(configuration: .init(idleTimeout: .seconds(60))), configuration: configuration, logger: logger)
                .runService()
        }
    }

    /// The server side of HTTPS. Errors name the file, never its contents: the key is secret.
    static func tlsConfiguration(_ tls: Topology.ServerTLS) throws -> TLSConfiguration {
        func load<T>(_ what: String, _ file: URL, _ body: () throws -> T) throws -> T {
            do {
                return try body()
            } catch {
                throw FerryError(.config, "cannot load the TLS \(what) \(file.path)",
                    hint: "it must be a PEM file readable by this process; check the node's tls: section")
            }
        }
        let chain = try load("certificate", tls.certificate) { try NIOSSLCertificate.fromPEMFile(tls.certificate.path) }
        let key = try load("private key", tls.key) { try NIOSSLPrivateKey(file: tls.key.path, format: .pem) }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        if let clientCA = tls.clientCA {
            let roots = try load("client CA", clientCA) { try NIOSSLCertificate.fromPEMFile(clientCA.path) }
            // Clients are machines named by their certificate, not by a host name.
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates(roots)
        }
        return configuration
    }
}

extension ConsoleServer {
    static func text(_ status: HTTPResponse.Status, _ message: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: message + "\n")))
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
