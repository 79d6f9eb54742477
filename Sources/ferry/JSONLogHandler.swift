import Foundation
import FerryCore
import Logging

/// One JSON object per line on standard error: time, level, label, message and metadata,
/// for log collectors. Values are whatever the libraries logged, which never includes keys,
/// passwords or plain personal data.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    init(label: String) { self.label = label }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var object: [String: Value] = [
            "time": .string(Timestamp.format(Date())), "level": .string(event.level.rawValue), "label": .string(label),
            "message": .string("\(event.message)"),
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            object[key] = .string("\(value)")
        }
        FileHandle.standardError.write(Data(CanonicalJSON.encode(.object(object)) + [0x0A]))
    }
}
