import Foundation
import FerryCore

/// One line of a connector's standard output under the Airbyte protocol
/// (docs.airbyte.com/understanding-airbyte/airbyte-protocol): an `AirbyteMessage` with its
/// `type`, decoded into what Ferry acts on. Numbers keep their exact text.
enum AirbyteMessage: Equatable {
    /// `{"type":"RECORD","record":{"stream":S,"namespace":N,"data":{…},"emitted_at":ms}}`
    case record(AirbyteStreamName, data: [String: Value])
    /// A RECORD whose `record.data` is not an object: quarantined as malformed.
    case badRecord(AirbyteStreamName?, reason: String)
    /// `{"type":"STATE","state":{…}}`, the `state` object (per-stream, global or legacy).
    case state([String: Value])
    /// `{"type":"LOG","log":{"level":"INFO","message":"…"}}`
    case log(ConnectorLog.Level, String)
    /// `{"type":"TRACE","trace":{"type":"ERROR","error":{"message":…,"internal_message":…,"failure_type":…}}}`
    case error(AirbyteError)
    /// `{"type":"TRACE","trace":{"type":"STREAM_STATUS","stream_status":{"stream_descriptor":…,"status":"INCOMPLETE"}}}`
    case streamStatus(AirbyteStreamName, status: String)
    /// `{"type":"CONNECTION_STATUS","connectionStatus":{"status":"SUCCEEDED"|"FAILED","message":…}}`
    case connectionStatus(succeeded: Bool, message: String?)
    /// `{"type":"CATALOG","catalog":{"streams":[{"name":…,"json_schema":{…},…}]}}`
    case catalog([[String: Value]])
    /// `{"type":"SPEC","spec":{"connectionSpecification":{…},…}}`
    case spec(Value)
    /// A message Ferry does not act on (TRACE ESTIMATE or ANALYTICS, CONTROL…).
    case other(String)
    /// A line that is not a JSON object with a `type`: connectors print banners and
    /// warnings on standard output too, so it is logged, not fatal.
    case notProtocol

    init(line: [UInt8]) {
        guard line.first == UInt8(ascii: "{"), case .object(let message)? = try? CanonicalJSON.decode(line),
            case .string(let type)? = message["type"]
        else {
            self = .notProtocol
            return
        }
        switch type {
        case "RECORD": self = Self.record(message["record"])
        case "STATE":
            guard case .object(let state)? = message["state"] else { self = .other("STATE without a state object"); return }
            self = .state(state)
        case "LOG":
            let log = message["log"]?.objectValue ?? [:]
            self = .log(ConnectorLog.Level(name: log["level"]?.text ?? "") ?? .info, log["message"]?.text ?? "")
        case "TRACE": self = Self.trace(message["trace"]?.objectValue ?? [:])
        case "CONNECTION_STATUS":
            let status = message["connectionStatus"]?.objectValue ?? [:]
            self = .connectionStatus(succeeded: status["status"]?.text == "SUCCEEDED", message: status["message"]?.text)
        case "CATALOG":
            guard case .list(let streams)? = message["catalog"]?.objectValue?["streams"] else { self = .catalog([]); return }
            self = .catalog(streams.compactMap(\.objectValue))
        case "SPEC": self = .spec(message["spec"] ?? .null)
        default: self = .other(type)
        }
    }

    private static func record(_ value: Value?) -> AirbyteMessage {
        guard let record = value?.objectValue else { return .badRecord(nil, reason: "a RECORD without a record object") }
        guard let name = AirbyteStreamName(record) else { return .badRecord(nil, reason: "a RECORD without record.stream") }
        guard let data = record["data"]?.objectValue else {
            return .badRecord(name, reason: "record.data of stream \(name) is not a JSON object")
        }
        return .record(name, data: data)
    }

    private static func trace(_ trace: [String: Value]) -> AirbyteMessage {
        switch trace["type"]?.text {
        case "ERROR":
            let error = trace["error"]?.objectValue ?? [:]
            return .error(AirbyteError(
                message: error["message"]?.text ?? "", internalMessage: error["internal_message"]?.text,
                failureType: error["failure_type"]?.text, stackTrace: error["stack_trace"]?.text))
        case "STREAM_STATUS":
            let status = trace["stream_status"]?.objectValue ?? [:]
            guard let descriptor = status["stream_descriptor"]?.objectValue, let name = AirbyteStreamName(descriptor) else {
                return .other("TRACE STREAM_STATUS")
            }
            return .streamStatus(name, status: status["status"]?.text ?? "")
        case let other: return .other("TRACE \(other ?? "")")
        }
    }
}

/// A stream's name and namespace: `record.stream`/`record.namespace`, or a
/// `stream_descriptor`'s `name`/`namespace`.
struct AirbyteStreamName: Hashable, Sendable, CustomStringConvertible {
    var name: String
    var namespace: String?

    init(name: String, namespace: String? = nil) {
        self.name = name
        self.namespace = namespace
    }

    /// From a record (`stream`, `namespace`) or a descriptor or catalog stream (`name`, `namespace`).
    init?(_ object: [String: Value]) {
        guard let name = (object["stream"] ?? object["name"])?.text else { return nil }
        self.init(name: name, namespace: object["namespace"]?.text)
    }

    /// A stream asked for without a namespace matches that name in any namespace.
    func matches(_ other: AirbyteStreamName) -> Bool {
        name == other.name && (namespace == nil || namespace == other.namespace)
    }

    var description: String { namespace.map { "\($0).\(name)" } ?? name }
}

/// A connector's TRACE error: the text a user needs is in `message`, the detail in
/// `internal_message`; both reach the error Ferry reports.
struct AirbyteError: Equatable, Sendable {
    var message: String
    var internalMessage: String?
    var failureType: String?
    var stackTrace: String?

    /// `message (internal_message)`, the second left out when the first already says it.
    var text: String {
        let internalText = internalMessage?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let main = message.trimmingCharacters(in: .whitespacesAndNewlines)
        if main.isEmpty { return internalText.isEmpty ? "failed without a message" : internalText }
        if internalText.isEmpty || main.contains(internalText) { return main }
        return "\(main) (\(internalText))"
    }

    /// `config_error`: the config must change; `transient_error`: try again later; anything
    /// else (`system_error`) will not succeed as it is.
    var failure: AdapterFailure {
        switch failureType {
        case "config_error": return .configuration
        case "transient_error": return .retryable
        default: return .permanent
        }
    }
}

extension Value {
    var objectValue: [String: Value]? {
        if case .object(let object) = self { return object }
        return nil
    }
}
