public import Foundation
public import FerryCore

/// An adapter in another process, in any language, speaking JSON lines on its standard
/// input and output (`docs/adapter-protocol.md`). The message types borrow the Airbyte
/// protocol's names: SPEC, CHECK, DISCOVER, READ, WRITE; RECORD, STATE, LOG, TRACE (an
/// unmodified Airbyte connector is run by `AirbyteAdapter` instead). A STATE closes a
/// batch and becomes its checkpoint, so the queue commits a state only together with the
/// records before it.
public struct ExecAdapter: Source, Sink {
    public struct Options: Sendable {
        public var command: [String]
        /// Handed to the program in every request; may hold anything but secrets, which it
        /// should read from its own environment. YAML plain scalars arrive typed (`1000` a
        /// number, `true` a boolean), quoted ones as text.
        public var config: Value = .object([:])
        /// The program is killed when it stays silent this long.
        public var timeoutSeconds = 60
        public var workingDirectory: URL?

        public init(command: [String]) { self.command = command }
    }

    public let options: Options
    let layout: SinkLayout?

    public init(options: Options, layout: SinkLayout? = nil) {
        self.options = options
        self.layout = layout
    }

    /// Parses `options:` of a system with `adapter: exec`.
    public static func options(_ node: ConfigNode, system: String, baseDirectory: URL) throws -> Options {
        let what = "options of system \(system)"
        try node.rejectUnknownKeys(["command", "config", "timeout"], in: what)
        let commandNode = try node.require("command", in: what)
        let command = try commandNode.strings("command")
        guard !command.isEmpty else { throw commandNode.error("command is the program and its arguments, like [python3, adapter.py]") }
        var options = Options(command: command)
        options.workingDirectory = baseDirectory
        if let configNode = node["config"] { options.config = configNode.jsonValue }
        if let timeoutNode = node["timeout"] {
            options.timeoutSeconds = try timeoutNode.int("timeout")
            guard (1...86_400).contains(options.timeoutSeconds) else { throw timeoutNode.error("timeout is seconds, from 1 to 86400") }
        }
        return options
    }

    // MARK: the conversation

    /// One run of the program: requests written to its input, messages read from its
    /// output line by line (the process and its timeout are `ConnectorProcess`'s).
    final class Conversation {
        let name: String
        let workingDirectory: URL?
        private let process: ConnectorProcess
        private let log: ConnectorLog

        init(_ options: Options) throws {
            name = options.command.joined(separator: " ")
            workingDirectory = options.workingDirectory
            log = ConnectorLog(name: options.command.first ?? "adapter", redact: Redactor([]))
            process = try ConnectorProcess(command: options.command, name: name, workingDirectory: options.workingDirectory,
                timeout: options.timeoutSeconds, takesInput: true, log: log)
        }

        deinit { process.stop() }

        /// Writes the messages and closes the program's input.
        func send(_ messages: [Value]) {
            process.send(messages.map { CanonicalJSON.encode($0) })
        }

        /// The next message other than LOG; nil when the program has finished. A TRACE
        /// error becomes a Ferry error of the class the program gave, with its text.
        func next() throws -> [String: Value]? {
            while true {
                guard let line = try process.line() else {
                    let status = try process.exitStatus()
                    guard status == 0 else {
                        throw FerryError.adapter(.retryable, "\(name) exited with status \(status)" + (process.errorTail.last.map { ": \($0)" } ?? ""),
                            hint: "see its standard error and LOG messages")
                    }
                    return nil
                }
                guard case .object(let message)? = try? CanonicalJSON.decode(line), case .string(let type)? = message["type"] else {
                    throw FerryError.adapter(.permanent, "\(name) wrote a line that is not a protocol message",
                        hint: "an exec adapter writes one JSON message per line on standard output, and its diagnostics on standard error")
                }
                switch type {
                case "LOG":
                    // Ferry's own shape, {"level","message"}, or the Airbyte protocol's {"log":{…}}.
                    let log = message["log"]?.objectValue ?? message
                    self.log(ConnectorLog.Level(name: log["level"]?.text ?? "") ?? .info, log["message"]?.text ?? "")
                case "TRACE":
                    guard case .object(let trace)? = message["trace"], trace["type"]?.text == "ERROR" else { continue }
                    throw Self.failure(trace, program: name).masked(by: FreeTextRedactor())
                default:
                    return message
                }
            }
        }

        /// A TRACE error in Ferry's shape (`trace.message`, `trace.failure_type`) or the
        /// Airbyte protocol's (`trace.error.message`, `internal_message`, `failure_type`).
        static func failure(_ trace: [String: Value], program: String) -> FerryError {
            let inner = trace["error"]?.objectValue ?? [:]
            let error = AirbyteError(
                message: trace["message"]?.text ?? inner["message"]?.text ?? "",
                internalMessage: trace["internal_message"]?.text ?? inner["internal_message"]?.text,
                failureType: trace["failure_type"]?.text ?? inner["failure_type"]?.text)
            return FerryError.adapter(error.failure, "\(program): \(error.text)", hint: "the adapter reported it")
        }
    }

    func conversation() throws -> Conversation { try Conversation(options) }

    /// Sends one request and returns the first answer of `type`.
    func ask(_ request: String, expecting type: String) throws -> [String: Value] {
        let talk = try conversation()
        talk.send([.object(["type": .string(request), "config": options.config])])
        while let message = try talk.next() {
            if message["type"]?.text == type { return message }
        }
        throw FerryError.adapter(.permanent, "\(talk.name) ended without a \(type) answer to \(request)", hint: "see docs/adapter-protocol.md")
    }

    // MARK: Source and Sink

    public func spec() throws -> Value { try ask("SPEC", expecting: "SPEC")["spec"] ?? .null }

    public func check() throws {
        let status = try ask("CHECK", expecting: "CONNECTION_STATUS")
        guard status["status"]?.text == "SUCCEEDED" else {
            throw FerryError.adapter(.configuration, "\(options.command.joined(separator: " ")): \(status["message"]?.text ?? "check failed")",
                hint: "fix the system's options, or the system itself")
        }
    }

    public func discover() throws -> [String] {
        guard case .list(let streams)? = try ask("DISCOVER", expecting: "CATALOG")["streams"], case .object(let stream)? = streams.first,
            case .list(let fields)? = stream["fields"]
        else { return [] }
        return fields.compactMap(\.text)
    }

    public func read(since checkpoint: String?, batchSize: Int) throws -> any SourceReader {
        let talk = try conversation()
        // A batch read before the program's first STATE is committed with an empty checkpoint.
        let state: Value = try checkpoint.flatMap { $0.isEmpty ? nil : try CanonicalJSON.decode(Array($0.utf8)) } ?? .null
        talk.send([.object(["type": "READ", "config": options.config, "state": state, "batch_size": .int(Int64(batchSize))])])
        return Reader(talk: talk, checkpoint: checkpoint)
    }

    struct Reader: SourceReader {
        let talk: Conversation
        var checkpoint: String?
        var done = false

        /// Records up to the next STATE, which becomes the batch's checkpoint. Records
        /// after the last STATE keep the previous checkpoint: they are read again next time.
        mutating func next() throws -> SourceBatch? {
            guard !done else { return nil }
            var batch = SourceBatch(rows: [], positions: [], checkpoint: checkpoint ?? "")
            while let message = try talk.next() {
                switch message["type"]?.text {
                case "RECORD":
                    guard case .object(var row)? = message["record"] else { continue }
                    row = ExecAdapter.incoming(row, base: talk.workingDirectory)
                    if message["op"]?.text == "delete" { row["_op"] = "delete" }
                    batch.rows.append(row)
                    batch.positions.append(message["position"]?.text ?? "\(talk.name) record \(batch.rows.count)")
                case "STATE":
                    let state = String(decoding: CanonicalJSON.encode(message["state"] ?? .null), as: UTF8.self)
                    checkpoint = state
                    batch.checkpoint = state
                    return batch
                default:
                    continue
                }
            }
            done = true
            return batch.rows.isEmpty ? nil : batch
        }
    }

    public func apply(_ rows: [SinkRow]) throws -> [SinkOutcome] {
        let talk = try conversation()
        var messages: [Value] = [.object(["type": "WRITE", "config": options.config])]
        for (index, row) in rows.enumerated() {
            messages.append(.object([
                "type": "RECORD", "index": .int(Int64(index)), "op": .string(row.operation.rawValue), "key": .object(row.key),
                "record": .object(Self.outgoing(row.values)), "version_column": layout?.versionColumn.map(Value.string) ?? .null,
            ]))
        }
        messages.append(.object(["type": "END"]))
        talk.send(messages)
        var outcomes = [SinkOutcome?](repeating: nil, count: rows.count)
        while let message = try talk.next() {
            guard message["type"]?.text == "OUTCOME", case .int(let index)? = message["index"], outcomes.indices.contains(Int(index)) else { continue }
            switch message["outcome"]?.text {
            case "applied": outcomes[Int(index)] = .applied
            case "skipped": outcomes[Int(index)] = .skippedOlder
            default: outcomes[Int(index)] = .rejected(message["reason"]?.text ?? "rejected by the adapter")
            }
        }
        guard outcomes.allSatisfy({ $0 != nil }) else {
            throw FerryError.adapter(.retryable, "\(talk.name) answered \(outcomes.compactMap { $0 }.count) of \(rows.count) records",
                hint: "an exec sink sends one OUTCOME per RECORD; the batch is retried")
        }
        return outcomes.compactMap { $0 }
    }
}
