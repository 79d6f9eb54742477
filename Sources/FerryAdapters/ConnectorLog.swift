import Foundation
import FerryCore

/// Where a connector's own log lines go: Ferry's standard error, at or above the level
/// FERRY_LOG_LEVEL names (trace, debug, info, notice, warning, error, critical; warning
/// when unset), the same threshold the `ferry` command uses for its own log.
struct ConnectorLog: Sendable {
    enum Level: Int, Comparable, Sendable {
        case trace, debug, info, notice, warning, error, critical

        static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

        /// swift-log's names, and the Airbyte protocol's (FATAL, ERROR, WARN, INFO, DEBUG, TRACE).
        init?(name: String) {
            switch name.lowercased() {
            case "trace": self = .trace
            case "debug": self = .debug
            case "info": self = .info
            case "notice": self = .notice
            case "warn", "warning": self = .warning
            case "error": self = .error
            case "critical", "fatal": self = .critical
            default: return nil
            }
        }
    }

    let name: String
    let minimum: Level
    let secrets: Redactor
    /// A program's own words can quote a record ("ValueError: bad id 350503…"): personal
    /// numbers are masked in every line logged or kept for an error.
    static let personal = FreeTextRedactor(limit: 1 << 16)

    init(name: String, redact: Redactor, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.name = name
        self.secrets = redact
        minimum = environment["FERRY_LOG_LEVEL"].flatMap(Level.init(name:)) ?? .warning
    }

    /// Text the program wrote, as it may be logged or quoted: secrets hidden, personal numbers masked.
    func redact(_ text: String) -> String { Self.personal(secrets(text)) }

    func callAsFunction(_ level: Level, _ message: String) {
        guard level >= minimum else { return }
        FileHandle.standardError.write(Data("[\(name)] \(level): \(redact(message))\n".utf8))
    }
}
