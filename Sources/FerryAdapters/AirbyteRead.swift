import FerryCore

/// The `read` side of the Airbyte protocol as a value: output lines in, batches out, no
/// I/O (the adapter feeds it a connector's output, tests feed it text).
///
/// A STATE closes a batch and becomes its checkpoint, so the queue commits a state only
/// with the records before it. A batch is also cut at `batchSize` records between states,
/// carrying the last state received: a crash then re-reads those records, which receivers
/// skip, and memory stays bounded for connectors that emit a state only at the end.
/// STATEs with no records since the last batch are folded into the next batch.
struct AirbyteRead {
    enum Step {
        case none
        case log(ConnectorLog.Level, String)
        case batch(SourceBatch)
        /// The connector's TRACE error: the read ends with it.
        case failed(AirbyteError)
    }

    let stream: AirbyteStreamName
    let batchSize: Int
    let connector: String
    private(set) var state: AirbyteState
    /// The checkpoint the last batch handed out carried (the one read from, at first).
    private var handedOut: String?
    private var rows: [[String: Value]] = []
    private var positions: [String] = []
    private var malformed: [MalformedRow] = []
    private var records = 0

    init(stream: AirbyteStreamName, batchSize: Int, connector: String, checkpoint: String?) throws {
        self.stream = stream
        self.batchSize = max(batchSize, 1)
        self.connector = connector
        state = try AirbyteState(checkpoint: checkpoint)
        handedOut = state.checkpoint
    }

    /// Takes one line of the connector's output.
    /// - Throws: for a stream that ended INCOMPLETE, and a STATE of no known form.
    mutating func take(_ line: [UInt8]) throws -> Step {
        switch AirbyteMessage(line: line) {
        case .record(let name, let data):
            guard stream.matches(name) else { return .log(.debug, "a record of stream \(name), which Ferry did not ask for, is ignored") }
            records += 1
            rows.append(data)
            positions.append("\(connector) stream \(stream) record \(records)")
            return rows.count + malformed.count >= batchSize ? .batch(cut()) : .none
        case .badRecord(let name, let reason):
            guard name.map(stream.matches) ?? true else { return .none }
            records += 1
            malformed.append(MalformedRow(position: "\(connector) stream \(stream) record \(records)", reason: reason, raw: line))
            return rows.count + malformed.count >= batchSize ? .batch(cut()) : .none
        case .state(let message):
            try state.apply(message)
            return rows.isEmpty && malformed.isEmpty ? .none : .batch(cut())
        case .log(let level, let message):
            return .log(level, message)
        case .error(let error):
            return .failed(error)
        case .streamStatus(let name, let status):
            guard stream.matches(name), status == "INCOMPLETE" else { return .none }
            throw FerryError.adapter(.retryable, "\(connector): stream \(stream) ended INCOMPLETE",
                hint: "see the connector's log lines above; nothing after the last state was committed")
        case .notProtocol:
            return .log(.debug, "not a protocol message: \(String(decoding: line.prefix(200), as: UTF8.self))")
        case .connectionStatus, .catalog, .spec, .other:
            return .none
        }
    }

    /// What is left when the output has ended and the connector exited 0: the records
    /// after the last state, or a newer state than the last batch carried.
    mutating func finish() -> SourceBatch? {
        rows.isEmpty && malformed.isEmpty && state.checkpoint == handedOut ? nil : cut()
    }

    private mutating func cut() -> SourceBatch {
        handedOut = state.checkpoint
        defer {
            rows.removeAll(keepingCapacity: true)
            positions.removeAll(keepingCapacity: true)
            malformed.removeAll()
        }
        return SourceBatch(rows: rows, positions: positions, checkpoint: state.checkpoint ?? "", malformed: malformed)
    }
}
