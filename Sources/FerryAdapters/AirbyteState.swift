import FerryCore

/// What a source connector has said about how far it has read, in the form it takes back
/// with `read --state FILE`; Ferry keeps it as the flow's checkpoint, committed with the
/// records before it.
///
/// The checkpoint text is exactly the state file, in canonical JSON:
/// * per-stream: `[{"type":"STREAM","stream":{"stream_descriptor":{"name":…},"stream_state":{…}}}, …]`,
///   one entry per stream, the newest of each;
/// * global: `[{"type":"GLOBAL","global":{"shared_state":…,"stream_states":[…]}}]`;
/// * legacy: the last `state.data` object itself.
/// `sourceStats` and other counters are left out: they describe one run, not a position.
struct AirbyteState: Equatable {
    enum Form: Equatable {
        case empty
        case streams([Value])
        case global(Value)
        case legacy(Value)
    }

    private(set) var form: Form = .empty

    /// The state a flow's checkpoint holds; nil or empty text for a first read.
    init(checkpoint: String?) throws {
        guard let checkpoint, !checkpoint.isEmpty else { return }
        let refused = FerryError.adapter(.configuration, "the flow's checkpoint is not an Airbyte state",
            hint: "the flow read through another adapter before: ferry queue reset-checkpoint FLOW reads it from the start")
        guard let value = try? CanonicalJSON.decode(Array(checkpoint.utf8)) else { throw refused }
        switch value {
        case .object: form = .legacy(value)
        case .list(let messages):
            if messages.count == 1, messages[0].objectValue?["type"]?.text == "GLOBAL" {
                form = .global(messages[0])
            } else {
                guard messages.allSatisfy({ $0.objectValue?["type"]?.text == "STREAM" }) else { throw refused }
                form = messages.isEmpty ? .empty : .streams(messages)
            }
        default: throw refused
        }
    }

    /// Folds in one STATE message's `state` object.
    /// - Throws: a permanent error for a state of none of the three forms.
    mutating func apply(_ state: [String: Value]) throws {
        switch state["type"]?.text {
        case "STREAM":
            guard case .object(let stream)? = state["stream"], let descriptor = stream["stream_descriptor"]?.objectValue,
                let name = AirbyteStreamName(descriptor)
            else { throw Self.malformed("a STREAM state without stream.stream_descriptor.name") }
            var message: [String: Value] = ["stream_descriptor": .object(descriptor)]
            message["stream_state"] = stream["stream_state"]
            let entry = Value.object(["type": "STREAM", "stream": .object(message)])
            var entries: [Value] = []
            if case .streams(let existing) = form { entries = existing }
            if let index = entries.firstIndex(where: { Self.streamName(of: $0) == name }) {
                entries[index] = entry
            } else {
                entries.append(entry)
            }
            form = .streams(entries)
        case "GLOBAL":
            guard let global = state["global"], global.objectValue != nil else { throw Self.malformed("a GLOBAL state without global") }
            form = .global(.object(["type": "GLOBAL", "global": global]))
        case nil, "LEGACY":
            guard let data = state["data"], data.objectValue != nil else { throw Self.malformed("a STATE without type or data") }
            form = .legacy(data)
        case let other?:
            throw Self.malformed("a STATE of unknown type \(other)")
        }
    }

    /// The state file's text, nil before any state.
    var checkpoint: String? {
        switch form {
        case .empty: return nil
        case .streams(let entries): return Self.text(.list(entries))
        case .global(let message): return Self.text(.list([message]))
        case .legacy(let data): return Self.text(data)
        }
    }

    private static func streamName(of entry: Value) -> AirbyteStreamName? {
        entry.objectValue?["stream"]?.objectValue?["stream_descriptor"]?.objectValue.flatMap(AirbyteStreamName.init)
    }

    private static func text(_ value: Value) -> String { String(decoding: CanonicalJSON.encode(value), as: UTF8.self) }

    private static func malformed(_ what: String) -> FerryError {
        FerryError.adapter(.permanent, "the connector wrote \(what)", hint: "see the Airbyte protocol's AirbyteStateMessage")
    }
}
