import Foundation
import FerryCore
import FerryAdapters

/// Makes a scenario system's table from a schema file, on whatever the system stores in:
/// its SQLite file, its PostgreSQL or MySQL database, its ODBC data source, or the SQLite
/// file an exec adapter's `config: { database: }` names.
enum ScenarioTables {
    /// - Parameters:
    ///   - text: `;`-separated statements; `{table}` is the system's table for `entity`.
    /// - Throws: `FerryError(.config)` when the system stores nowhere SQL runs (a folder, a
    ///   web service), or the database's own error.
    static func create(_ text: String, system: Topology.System, entity: String, topology: Topology) throws {
        let options = system.options(for: entity)
        let exec = options["config"]
        guard let table = try (exec ?? options)["table"]?.string("table") else {
            throw FerryError(.config, "system \(system.name) has no table for \(entity) to make", hint: "give it table: in ferry.yaml")
        }
        let statements = text.replacingOccurrences(of: "{table}", with: table).split(separator: ";")
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        let noTables = FerryError(.config, "system \(system.name) (\(system.adapter)) keeps no SQL tables to make",
            hint: "name only sqlite, postgres, mysql, odbc and exec-over-SQLite (config: { database: }) systems under schemas:")
        func sqliteFile(_ path: String) throws -> SQLiteSystemFile {
            try SQLiteSystemFile(path: URL(fileURLWithPath: path, relativeTo: topology.baseDirectory))
        }
        switch try AdapterRegistry.configured(system, entity: entity, topology: topology) {
        case .sqlite:
            let file = try sqliteFile(try options.require("path", in: "system \(system.name)").string("path"))
            for statement in statements { try file.execute(statement) }
        case .exec:
            guard let database = try exec?["database"]?.string("database") else { throw noTables }
            let file = try sqliteFile(database)
            for statement in statements { try file.execute(statement) }
        case .postgres(let options): try PostgresAdapter(options: options).execute(statements)
        case .mysql(let options): try MySQLAdapter(options: options).execute(statements)
        case .odbc(let options): try ODBCAdapter(options: options).execute(statements)
        default: throw noTables
        }
    }
}
