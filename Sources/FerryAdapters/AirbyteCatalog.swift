import FerryCore

/// How a source connector reads a stream: `incremental` from the state it was given, or
/// `full_refresh` from the start every time.
public enum AirbyteSyncMode: String, Sendable {
    case incremental
    case fullRefresh = "full_refresh"
}

/// Picks the stream Ferry reads out of a connector's discovered catalog and writes the
/// configured catalog (`read --catalog FILE`) for it.
enum AirbyteCatalog {
    /// The discovered stream (`catalog.streams[]`) named `wanted`; the only stream when
    /// none is named.
    /// - Throws: a configuration error listing the streams on offer.
    static func stream(_ wanted: AirbyteStreamName?, in streams: [[String: Value]], connector: String) throws -> [String: Value] {
        let names = streams.compactMap(AirbyteStreamName.init)
        let offered = names.map(\.description).joined(separator: ", ")
        guard let wanted else {
            guard streams.count == 1 else {
                throw FerryError.adapter(.configuration, "\(connector) offers \(streams.count) streams; the system must say which to read",
                    hint: "add stream: to the system's options (or per entity under maps:); streams: \(offered.isEmpty ? "none" : offered)")
            }
            return streams[0]
        }
        let matching = streams.filter { AirbyteStreamName($0).map(wanted.matches) ?? false }
        guard matching.count == 1 else {
            throw FerryError.adapter(.configuration,
                matching.isEmpty ? "\(connector) has no stream \(wanted)" : "\(connector) has \(wanted.name) in several namespaces",
                hint: matching.isEmpty ? "streams on offer: \(offered.isEmpty ? "none" : offered)" : "add namespace: to the system's options")
        }
        return matching[0]
    }

    /// The configured catalog for one stream, and the sync mode chosen: the one asked for,
    /// or incremental when the stream supports it and has a cursor, else full refresh.
    /// - Throws: a configuration error when the mode asked for cannot work.
    static func configure(_ stream: [String: Value], mode wanted: AirbyteSyncMode?, cursorField: [String]?) throws
        -> (catalog: Value, mode: AirbyteSyncMode)
    {
        let name = AirbyteStreamName(stream)?.description ?? "?"
        let modes = stream["supported_sync_modes"].flatMap(listOfText) ?? [AirbyteSyncMode.fullRefresh.rawValue]
        let sourceDefined = stream["source_defined_cursor"] == .bool(true)
        let cursor = sourceDefined ? stream["default_cursor_field"].flatMap(listOfText) : cursorField ?? stream["default_cursor_field"].flatMap(listOfText)
        let canIncrement = modes.contains(AirbyteSyncMode.incremental.rawValue) && (sourceDefined || !(cursor ?? []).isEmpty)
        let mode = wanted ?? (canIncrement ? .incremental : .fullRefresh)
        if let wanted, !modes.contains(wanted.rawValue) {
            throw FerryError.adapter(.configuration, "stream \(name) cannot be read \(wanted.rawValue)",
                hint: "it supports \(modes.joined(separator: ", ")); change sync_mode:")
        }
        if mode == .incremental, !canIncrement {
            throw FerryError.adapter(.configuration, "stream \(name) has no cursor of its own to read incrementally by",
                hint: "name one with cursor_field: (a field of the stream), or use sync_mode: full_refresh")
        }
        var configured: [String: Value] = [
            "stream": .object(stream), "sync_mode": .string(mode.rawValue),
            "destination_sync_mode": mode == .incremental ? "append" : "overwrite",
        ]
        if mode == .incremental, let cursor { configured["cursor_field"] = .list(cursor.map(Value.string)) }
        if let key = stream["source_defined_primary_key"] { configured["primary_key"] = key }
        return (.object(["streams": .list([.object(configured)])]), mode)
    }

    /// The stream's top-level fields, from `json_schema.properties`, in name order.
    static func fields(of stream: [String: Value]) -> [String] {
        stream["json_schema"]?.objectValue?["properties"]?.objectValue?.keys.sorted() ?? []
    }

    private static func listOfText(_ value: Value) -> [String]? {
        guard case .list(let items) = value else { return nil }
        return items.compactMap(\.text)
    }
}
