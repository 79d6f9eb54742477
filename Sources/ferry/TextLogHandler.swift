import Foundation
import FerryCore
import Logging

/// One line per event on standard error: time, level, label, message and metadata. Every
/// part passes through `TerminalText.inert`, because messages carry file names, record keys
/// and systems' error texts: a line break in one would forge a log line, an escape
/// sequence would rewrite the operator's terminal.
struct TextLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    init(label: String) { self.label = label }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 })
        let fields = merged.sorted { $0.key < $1.key }.map { " \(TerminalText.inert($0.key))=\(TerminalText.inert("\($0.value)"))" }.joined()
        let line = "\(Timestamp.format(Date())) \(event.level.rawValue) \(label): \(TerminalText.inert("\(event.message)"))\(fields)\n"
        FileHandle.standardError.write(Data(line.utf8))
    }
}
