import Foundation
import FerryCore

/// One run of an Airbyte connector: its process, the private directory of its files (removed
/// when the run goes), and the last error it logged, so a failed run says why.
final class AirbyteRun {
    let verb: String
    let connector: String
    let process: ConnectorProcess
    let directory: PrivateDirectory
    let log: ConnectorLog
    /// The first line of the last ERROR or FATAL log message.
    private(set) var lastError: String?

    init(verb: String, connector: String, process: ConnectorProcess, directory: PrivateDirectory, log: ConnectorLog) {
        (self.verb, self.connector, self.process, self.directory, self.log) = (verb, connector, process, directory, log)
    }

    deinit {
        process.stop()
        directory.remove()
    }

    /// Logs a connector's LOG message (or a line that is not one) at its level.
    func note(_ level: ConnectorLog.Level, _ message: String) {
        if level >= .error, let first = message.split(separator: "\n").first {
            lastError = String(first.prefix(500))
        }
        log(level, message)
    }

    /// Reads until the message `pick` accepts, logging what comes before it, then waits
    /// for the connector to exit.
    /// - Throws: the connector's TRACE error; a failed exit; an answer that never came.
    func answer<T>(_ pick: (AirbyteMessage) -> T?) throws -> T {
        var found: T?
        while let line = try process.line() {
            let message = AirbyteMessage(line: line)
            switch message {
            case .log(let level, let text): note(level, text)
            case .error(let error): throw failure(error)
            case .notProtocol: note(.debug, "not a protocol message: \(String(decoding: line.prefix(200), as: UTF8.self))")
            default: if found == nil { found = pick(message) }
            }
        }
        try finished()
        guard let found else {
            throw FerryError.adapter(.permanent, "\(connector) \(verb) ended without its answer",
                hint: "check that command: runs an Airbyte connector (it must print AirbyteMessage JSON lines)")
        }
        return found
    }

    /// Runs `body`, hiding secrets in the message of any error it throws.
    func redacting<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch var error as FerryError {
            error.message = log.redact(error.message)
            throw error
        }
    }

    func failure(_ error: AirbyteError) -> FerryError {
        if let trace = error.stackTrace { log(.debug, trace) }
        return FerryError.adapter(error.failure, "\(connector): \(log.redact(error.text))", hint: "the connector reported it (TRACE error)")
    }

    /// Waits for the exit; a non-zero status is an error naming the last thing the connector
    /// said was wrong (its last ERROR log, or its standard error).
    func finished() throws {
        let status = try process.exitStatus()
        directory.remove()
        guard status != 0 else { return }
        let why = lastError ?? process.errorTail.last
        throw FerryError.adapter(.retryable, "\(connector) \(verb) exited with status \(status)" + (why.map { ": \($0)" } ?? ""),
            hint: "see the connector's log lines above; run it by hand with FERRY_LOG_LEVEL=debug for more")
    }
}
