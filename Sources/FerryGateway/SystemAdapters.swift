import Foundation
import FerryCore
import FerryMapping
import FerryAdapters

/// Builds the adapter a system's topology entry describes.
enum SystemAdapters {
    static func source(for system: Topology.System, entity: String, topology: Topology) throws -> any Source {
        switch system.adapter {
        case "sqlite":
            return try SQLiteAdapter(
                options: SQLiteAdapter.options(system.options(for: entity), system: system.name, baseDirectory: topology.baseDirectory))
        default:
            throw unsupported(system)
        }
    }

    /// A sink keyed by the columns the mapping stores the entity's key and version in.
    static func sink(for system: Topology.System, mapping: Mapping, topology: Topology) throws -> any Sink {
        let keyColumns = try mapping.entity.key.map { field -> String in
            guard let column = mapping.rule(for: field)?.column else {
                throw FerryError(.config, "mapping \(mapping.name) does not store key field \(field) in a column",
                    at: .file(SourceLocation(file: mapping.file, line: 1, column: 1)), hint: "map \(field) to a column to write to \(system.name)")
            }
            return column
        }
        let layout = SinkLayout(keyColumns: keyColumns, versionColumn: mapping.rule(for: mapping.entity.version)?.column)
        switch system.adapter {
        case "sqlite":
            return try SQLiteAdapter(
                options: SQLiteAdapter.options(
                    system.options(for: mapping.entity.name), system: system.name, baseDirectory: topology.baseDirectory),
                layout: layout)
        default:
            throw unsupported(system)
        }
    }

    static func unsupported(_ system: Topology.System) -> FerryError {
        FerryError(.config, "system \(system.name): the \(system.adapter) adapter is not available in this build",
            at: .file(system.location), hint: "use adapter: sqlite")
    }
}
