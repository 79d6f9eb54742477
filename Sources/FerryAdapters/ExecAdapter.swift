public import Foundation
public import FerryCore

/// An adapter in another process, in any language, speaking JSON lines on its standard
/// input and output (`docs/adapter-protocol.md`). The message types follow the Airbyte
/// protocol closely enough to wrap such a connector: SPEC, CHECK, DISCOVER, READ, WRITE;
/// RECORD, STATE, LOG, TRACE. A STATE closes a batch and becomes its checkpoint, so the
/// queue commits a state only together with the records before it.
public struct ExecAdapter: Source, Sink {
    public struct Options: Sendable {
        public var command: [String]
        /// Handed to the program in every request; may hold anything but secrets, which it
        /// should read from its own environment.
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
        if let configNode = node["config"] { options.config = configNode.value }
        if let timeoutNode = node["timeout"] {
            options.timeoutSeconds = try timeoutNode.int("timeout")
            guard options.timeoutSeconds >= 1 else { throw timeoutNode.error("timeout is seconds, at least 1") }
        }
        return options
    }

    // MARK: the conversation

    /// One run of the program: requests written to its input, messages read from its
    /// output line by line, killed if it stays silent past the timeout.
    final class Conversation: @unchecked Sendable {
        // Sendable: the writer thread only touches `input`; everything else stays on the caller.
        let process = Process()
        let input = Pipe()
        let output = Pipe()
        let name: String
        let timeout: Int
        private var buffer: [UInt8] = []
        private var start = 0
        private var ended = false
        private let logger: (String, String) -> Void

        /// A program that exits before reading all its input must not take Ferry down with
        /// SIGPIPE: the write fails instead, and the missing answers say what went wrong.
        private static let pipesSafe: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

        init(_ options: Options, logger: @escaping (String, String) -> Void) throws {
            Self.pipesSafe
            name = options.command.joined(separator: " ")
            timeout = options.timeoutSeconds
            self.logger = logger
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = options.command
            process.currentDirectoryURL = options.workingDirectory
            process.standardInput = input
            process.standardOutput = output
            process.standardError = FileHandle.standardError
            do { try process.run() } catch {
                throw FerryError.adapter(.configuration, "cannot start \(name)", hint: "check command: in the system's options")
            }
        }

        deinit {
            if process.isRunning { process.terminate() }
        }

        /// Writes the messages on a thread of their own, so a program that answers while
        /// it reads never blocks on a full pipe; closes its input at the end.
        func send(_ messages: [Value]) {
            let handle = input.fileHandleForWriting
            let lines = messages.map { CanonicalJSON.encode($0) + [0x0A] }
            Thread.detachNewThread {
                for line in lines { try? handle.write(contentsOf: line) }
                try? handle.close()
            }
        }

        /// The next message other than LOG; nil when the program has finished. A TRACE
        /// error becomes a Ferry error of the class the program gave.
        func next() throws -> [String: Value]? {
            while true {
                guard let line = try line() else {
                    process.waitUntilExit()
                    guard process.terminationStatus == 0 else {
                        throw FerryError.adapter(.retryable, "\(name) exited with status \(process.terminationStatus)",
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
                    logger(message["level"]?.text ?? "INFO", message["message"]?.text ?? "")
                case "TRACE":
                    guard case .object(let trace)? = message["trace"], trace["type"]?.text == "ERROR" else { continue }
                    let failure: AdapterFailure
                    switch trace["failure_type"]?.text {
                    case "config_error": failure = .configuration
                    case "transient_error": failure = .retryable
                    default: failure = .permanent
                    }
                    throw FerryError.adapter(failure, "\(name): \(trace["message"]?.text ?? "error")", hint: "the adapter reported it")
                default:
                    return message
                }
            }
        }

        /// One line of output, waiting at most the timeout for it.
        private func line() throws -> [UInt8]? {
            while true {
                if let newline = buffer[start...].firstIndex(of: 0x0A) {
                    let line = Array(buffer[start..<newline])
                    start = newline + 1
                    if start > 1 << 16 {
                        buffer.removeSubrange(0..<start)
                        start = 0
                    }
                    return line
                }
                if ended { return nil }
                var poll = pollfd(fd: output.fileHandleForReading.fileDescriptor, events: Int16(POLLIN), revents: 0)
                let ready = Foundation.poll(&poll, 1, Int32(timeout * 1000))
                guard ready > 0 else {
                    process.terminate()
                    throw FerryError.adapter(.retryable, "\(name) said nothing for \(timeout) s and was stopped",
                        hint: "raise timeout: in the system's options if it is just slow")
                }
                let data = output.fileHandleForReading.availableData
                if data.isEmpty { ended = true } else { buffer.append(contentsOf: data) }
            }
        }
    }

    func conversation() throws -> Conversation {
        try Conversation(options) { level, message in
            FileHandle.standardError.write(Data("[\(options.command.first ?? "adapter")] \(level): \(message)\n".utf8))
        }
    }

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
        let state: Value = try checkpoint.map { try CanonicalJSON.decode(Array($0.utf8)) } ?? .null
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
                "record": .object(row.values), "version_column": layout?.versionColumn.map(Value.string) ?? .null,
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
