import Foundation
import FerryCore
import Logging

/// One line per event on standard error: time, level, label, message and metadata, as
/// text for people or as a JSON object for log collectors. Messages carry file names,
/// record keys and systems' error texts, so neither form lets them act on a terminal or a
/// log reader: text passes every part through `TerminalText.inert` (a line break would
/// forge a log line, an escape sequence would rewrite the terminal), JSON escapes them.
/// Values are whatever the libraries logged, which never includes keys, passwords or plain
/// personal data.
struct StandardErrorLogHandler: LogHandler {
    let label: String
    let format: LogFormat
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    init(label: String, format: LogFormat) {
        self.label = label
        self.format = format
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let fields = metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }).map { ($0.key, "\($0.value)") }
        let time = Timestamp.format(Date()), message = "\(event.message)"
        let line: [UInt8]
        switch format {
        case .text:
            let shown = fields.sorted { $0.0 < $1.0 }.map { " \(TerminalText.inert($0.0))=\(TerminalText.inert($0.1))" }.joined()
            line = Array("\(time) \(event.level.rawValue) \(label): \(TerminalText.inert(message))\(shown)".utf8)
        case .json:
            var object: [String: Value] = ["time": .string(time), "level": .string(event.level.rawValue), "label": .string(label), "message": .string(message)]
            for (key, value) in fields { object[key] = .string(value) }
            line = CanonicalJSON.encode(.object(object))
        }
        FileHandle.standardError.write(Data(line + [0x0A]))
    }
}
