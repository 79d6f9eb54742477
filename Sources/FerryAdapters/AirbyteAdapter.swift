import Foundation
public import FerryCore

/// An unmodified Airbyte source connector, run as its own program with the Airbyte
/// protocol's command line (docs.airbyte.com/understanding-airbyte/airbyte-protocol):
/// `spec`, `check --config`, `discover --config`, `read --config --catalog [--state]`, each
/// a run of its own. The files are written to a private temporary directory (0700, files
/// 0600) and removed when the run ends, since a config may hold secrets.
///
/// One system reads one stream. Its STATE messages are the flow's checkpoint, committed
/// with the records before them, so the next sync resumes where this one stopped.
public struct AirbyteAdapter: Source, Sink {
    public let options: Options
    let layout: SinkLayout?

    public init(options: Options, layout: SinkLayout? = nil) {
        self.options = options
        self.layout = layout
    }

    /// The executable's name, for messages.
    var connector: String { URL(fileURLWithPath: options.command.first ?? "connector").lastPathComponent }

    /// Secrets from `secrets:`, and config text under keys that name one (password, token,
    /// secret, key, credential…), hidden in everything the connector says.
    var redact: Redactor {
        var values = options.secrets.map(\.value)
        func collect(_ value: Value, secret: Bool) {
            switch value {
            case .string(let text) where secret: values.append(text)
            case .object(let object):
                for (key, inner) in object {
                    let name = key.lowercased()
                    collect(inner, secret: secret || ["password", "secret", "token", "key", "credential"].contains(where: name.contains))
                }
            case .list(let items): items.forEach { collect($0, secret: secret) }
            default: break
            }
        }
        collect(options.config, secret: false)
        return Redactor(values)
    }

    /// Starts one verb with its files in a fresh private directory; the directory lives as
    /// long as the returned run.
    func start(_ verb: String, catalog: Value? = nil, state: String? = nil) throws -> AirbyteRun {
        let directory = try PrivateDirectory()
        var arguments = [verb]
        if verb != "spec" {
            arguments += ["--config", try directory.write("config.json", CanonicalJSON.encode(options.effectiveConfig))]
        }
        if let catalog { arguments += ["--catalog", try directory.write("catalog.json", CanonicalJSON.encode(catalog))] }
        if let state { arguments += ["--state", try directory.write("state.json", Array(state.utf8))] }
        let log = ConnectorLog(name: connector, redact: redact)
        let process = try ConnectorProcess(command: options.command, arguments: arguments, name: connector, workingDirectory: options.workingDirectory,
            timeout: options.timeoutSeconds, takesInput: false, log: log)
        return AirbyteRun(verb: verb, connector: connector, process: process, directory: directory, log: log)
    }

    // MARK: Source

    /// The connector's `spec`: what its config takes (`connectionSpecification`).
    public func spec() throws -> Value {
        try start("spec").answer { if case .spec(let spec) = $0 { spec } else { nil } }
    }

    /// `check --config`: succeeds when the connector answers `SUCCEEDED`.
    /// - Throws: a configuration error with the connector's message when it answers `FAILED`.
    public func check() throws {
        let (succeeded, message) = try start("check").answer {
            if case .connectionStatus(let succeeded, let message) = $0 { (succeeded, message) } else { nil }
        }
        guard succeeded else {
            throw FerryError.adapter(.configuration, "\(connector) check failed: \(redact(message ?? "no reason given"))",
                hint: "fix config: (or secrets:) in the system's options, or the system itself")
        }
    }

    /// `discover --config`: the configured stream's fields (`json_schema.properties`).
    public func discover() throws -> [String] {
        AirbyteCatalog.fields(of: try stream())
    }

    /// The discovered catalog's entry for the stream this system reads.
    func stream() throws -> [String: Value] {
        let streams = try start("discover").answer { if case .catalog(let streams) = $0 { streams } else { nil } }
        let wanted = options.stream.map { AirbyteStreamName(name: $0, namespace: options.namespace) }
        return try AirbyteCatalog.stream(wanted, in: streams, connector: connector)
    }

    /// `discover`, then `read` of the stream with the checkpoint as `--state` (not in full
    /// refresh, which starts over every time).
    public func read(since checkpoint: String?, batchSize: Int) throws -> any SourceReader {
        let stream = try stream()
        let (catalog, mode) = try AirbyteCatalog.configure(stream, mode: options.syncMode, cursorField: options.cursorField)
        let resume = mode == .incremental ? checkpoint.flatMap { $0.isEmpty ? nil : $0 } : nil
        let machine = try AirbyteRead(
            stream: AirbyteStreamName(stream) ?? AirbyteStreamName(name: options.stream ?? ""), batchSize: batchSize,
            connector: connector, checkpoint: resume)
        let run = try start("read", catalog: catalog, state: resume)
        return Reader(run: run, machine: machine)
    }

    struct Reader: SourceReader {
        let run: AirbyteRun
        var machine: AirbyteRead
        var done = false

        mutating func next() throws -> SourceBatch? {
            guard !done else { return nil }
            while let line = try run.process.line() {
                switch try run.redacting({ try machine.take(line) }) {
                case .none: continue
                case .log(let level, let message): run.note(level, message)
                case .batch(let batch): return batch
                case .failed(let error): throw run.failure(error)
                }
            }
            done = true
            try run.finished()
            return machine.finish()
        }
    }

    // MARK: Sink

    public func apply(_ rows: [SinkRow]) throws -> [SinkOutcome] {
        throw FerryError.adapter(.configuration, "\(connector): the airbyte adapter runs source connectors; it cannot write",
            hint: "use the system as a flow's from:, or write through another adapter")
    }
}
