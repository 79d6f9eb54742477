import Foundation
package import FerryCore
package import FerryMapping
package import FerryAdapters

/// The sink of a system for an entity, laid out by the columns its mapping stores the key
/// and version in; everything else about adapters is `AdapterRegistry`'s.
package enum SystemAdapters {
    /// A sink keyed by the columns the mapping stores the entity's key and version in.
    package static func sink(for system: Topology.System, mapping: Mapping, topology: Topology) throws -> any Sink {
        let keyColumns = try mapping.entity.key.map { field -> String in
            guard let column = mapping.rule(for: field)?.column else {
                throw FerryError(.config, "mapping \(mapping.name) does not store key field \(field) in a column",
                    at: .file(SourceLocation(file: mapping.file, line: 1, column: 1)), hint: "map \(field) to a column to write to \(system.name)")
            }
            return column
        }
        let layout = SinkLayout(keyColumns: keyColumns, versionColumn: mapping.rule(for: mapping.entity.version)?.column)
        return try AdapterRegistry.adapter(for: system, entity: mapping.entity.name, topology: topology, layout: layout)
    }
}
