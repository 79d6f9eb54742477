import Foundation
public import FerryCore
public import FerryTransport

/// A real REST system (Ops/systems/rest_system.py, which `ferry demo` scenarios start too)
/// listening on 127.0.0.1, with fault injection and a request log; it stops when this
/// object goes or the test process dies.
public final class RESTSystem: @unchecked Sendable {
    // @unchecked: immutable after init; the process is only terminated in deinit.
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Ops/systems/rest_system.py")

    let process = Process()
    let stdin = Pipe()
    public let port: Int
    public let scheme: String
    public let client: HTTPClient

    public init(arguments: [String] = [], tls: (cert: String, key: String, ca: String)? = nil, clientOptions: HTTPClient.Options = HTTPClient.Options()) throws {
        let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-rest-\(UUID().uuidString)")
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [Self.script.path, portFile.path] + arguments + (tls.map { ["--tls", $0.cert, $0.key, $0.ca] } ?? [])
        process.standardInput = stdin
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while FileManager.default.contents(atPath: portFile.path) == nil, Date() < deadline { usleep(20_000) }
        guard let text = FileManager.default.contents(atPath: portFile.path), let port = Int(String(decoding: text, as: UTF8.self)) else {
            kill(process.processIdentifier, SIGKILL)
            throw FerryError(.io, "the REST system did not start")
        }
        try? FileManager.default.removeItem(at: portFile)
        self.port = port
        scheme = tls == nil ? "http" : "https"
        client = HTTPClient(options: clientOptions)
    }

    deinit {
        // SIGKILL: a child started from a test thread may inherit a mask that blocks SIGTERM.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    public func url(_ path: String) -> String { "\(scheme)://127.0.0.1:\(port)\(path)" }

    /// The next `times` requests under `prefix` get `status` (after `delay` seconds), with
    /// `body` as the answer when given (status 200 unless `status` says otherwise).
    public func fault(_ prefix: String, status: Int? = nil, times: Int = 1, retryAfter: String? = nil, delay: Double = 0, body: Value? = nil) throws {
        var fault: [String: Value] = ["prefix": .string(prefix), "times": .int(Int64(times)), "delay": .decimal(String(delay))]
        if let status { fault["status"] = .int(Int64(status)) }
        if let body { fault["body"] = body }
        if let retryAfter { fault["retry_after"] = .string(retryAfter) }
        _ = try client.perform(HTTPClient.Request(method: "POST", url: url("/_faults"), body: .bytes(CanonicalJSON.encode(.object(fault)))))
    }

    /// Every request so far, oldest first.
    public func log() throws -> [[String: Value]] {
        guard case .list(let entries) = try CanonicalJSON.decode(client.perform(HTTPClient.Request(url: url("/_log"))).body) else { return [] }
        return entries.compactMap { if case .object(let entry) = $0 { return entry } else { return nil } }
    }

    /// A collection's records, as the system holds them.
    public func records(_ collection: String) throws -> [[String: Value]] {
        guard case .list(let rows) = try CanonicalJSON.decode(client.perform(HTTPClient.Request(url: url("/plain/\(collection)"))).body) else { return [] }
        return rows.compactMap { if case .object(let row) = $0 { return row } else { return nil } }
    }

    public func seed(_ collection: String, _ rows: [[String: Value]]) throws {
        let body = Value.list(rows.map { .object($0) })
        let response = try client.perform(HTTPClient.Request(method: "POST", url: url("/c/\(collection)"), body: .bytes(CanonicalJSON.encode(body))))
        guard response.status == 200 else { throw FerryError(.io, "seeding answered \(response.status)") }
    }

    /// Every stored file: name, size, SHA-256 (hex) and Content-Type.
    public func files() throws -> [[String: Value]] {
        guard case .list(let entries) = try CanonicalJSON.decode(client.perform(HTTPClient.Request(url: url("/_files"))).body) else { return [] }
        return entries.compactMap { if case .object(let entry) = $0 { return entry } else { return nil } }
    }

    /// Stores a file the system serves at /files/NAME.
    public func putFile(_ name: String, _ data: [UInt8], type: String) throws {
        _ = try client.perform(HTTPClient.Request(method: "PUT", url: url("/files/\(name)"), headers: ["Content-Type: \(type)"], body: .bytes(data)))
    }
}
