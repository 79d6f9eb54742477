package import GRDB

/// The store's tables on SQLite, through GRDB: every statement is prepared once per
/// connection and reused (`cachedStatement`), rows stream from SQLite as they are stepped.
package final class SQLiteStoreConnection: StoreConnection {
    package let db: Database
    package var dialect: StoreDialect { .sqlite }

    package init(_ db: Database) { self.db = db }

    @discardableResult
    package func execute(sql: String, arguments: StoreArguments) throws -> Int {
        try db.cachedStatement(sql: sql).execute(arguments: Self.arguments(arguments))
        return db.changesCount
    }

    package func rows(sql: String, arguments: StoreArguments) throws -> [StoreRow] {
        var rows: [StoreRow] = []
        try forEachRow(sql: sql, arguments: arguments) { rows.append($0) }
        return rows
    }

    package func forEachRow(sql: String, arguments: StoreArguments, _ body: (StoreRow) throws -> Void) throws {
        let statement = try db.cachedStatement(sql: sql)
        let columns = StoreColumns(statement.columnNames)
        let cursor = try Row.fetchCursor(statement, arguments: Self.arguments(arguments))
        while let row = try cursor.next() {
            try body(StoreRow(columns: columns, values: row.databaseValues.map(Self.value)))
        }
    }

    package func executeScript(_ sql: String) throws { try db.execute(sql: sql) }

    static func arguments(_ arguments: StoreArguments) -> StatementArguments {
        StatementArguments(arguments.values.map { value -> DatabaseValue in
            switch value {
            case .null: .null
            case .integer(let number): number.databaseValue
            case .real(let number): number.databaseValue
            case .text(let text): text.databaseValue
            case .blob(let bytes): Data(bytes).databaseValue
            }
        })
    }

    static func value(_ value: DatabaseValue) -> StoreValue {
        switch value.storage {
        case .null: .null
        case .int64(let number): .integer(number)
        case .double(let number): .real(number)
        case .string(let text): .text(text)
        case .blob(let data): .blob([UInt8](data))
        }
    }
}

import Foundation
