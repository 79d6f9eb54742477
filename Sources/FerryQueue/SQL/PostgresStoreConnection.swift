import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The store's tables on PostgreSQL, through PostgresNIO, inside a transaction that
/// `PostgresStoreSession` opened. Calls block the calling thread (never an event loop's):
/// the store's interface is synchronous, as SQLite's is.
///
/// Values bind with their own types (`bigint`, `double precision`, `text`, `bytea`), which
/// is what the rendered tables declare, so no comparison needs a cast.
package final class PostgresStoreConnection: StoreConnection {
    let connection: PostgresConnection
    package var dialect: StoreDialect { .postgres }
    /// At trace level PostgresNIO logs every statement's values and rows: record lines and
    /// password hashes. This logger never goes below info, whatever `FERRY_LOG_LEVEL` says.
    static let logger: Logger = {
        var logger = Logger(label: "ferry.store.postgres")
        logger.logLevel = .info
        return logger
    }()
    /// Rows fetched per round trip when a query is streamed through a server-side cursor.
    static let fetchSize = 2000
    private var cursors = 0
    /// Writes sent and not yet answered (`send`).
    private var pending: [EventLoopFuture<PostgresQueryResult>] = []
    /// Sent writes awaited at once beyond this many, or beyond `pipelineBytes` of bound
    /// values, to bound what waits in memory: a statement can carry 64 rows (`StoreBatch`).
    static let pipelineDepth = 1000
    static let pipelineBytes = 4 << 20
    private var pendingBytes = 0

    init(_ connection: PostgresConnection) { self.connection = connection }

    @discardableResult
    package func execute(sql: String, arguments: StoreArguments) throws -> Int {
        try run(sql, arguments).metadata.rows ?? 0
    }

    package func rows(sql: String, arguments: StoreArguments) throws -> [StoreRow] {
        try decoding { try Self.rows(run(sql, arguments).rows) }
    }

    /// A value PostgresNIO cannot decode is a store failure like any other.
    private func decoding<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as PostgresStoreError { throw error } catch { throw PostgresStoreError(error) }
    }

    /// Streams through `DECLARE … CURSOR` and `FETCH`: every store call runs in a
    /// transaction, and the cursor lives as long as this call.
    package func forEachRow(sql: String, arguments: StoreArguments, _ body: (StoreRow) throws -> Void) throws {
        cursors += 1
        let name = "ferry_rows_\(cursors)"
        try run("DECLARE \(name) NO SCROLL CURSOR FOR " + sql, arguments)
        defer { _ = try? run("CLOSE \(name)", []) }
        while true {
            let batch = try decoding { try Self.rows(run("FETCH \(Self.fetchSize) FROM \(name)", []).rows) }
            for row in batch { try body(row) }
            if batch.count < Self.fetchSize { return }
        }
    }

    package func executeScript(_ sql: String) throws {
        for statement in Self.statements(sql) { try run(statement, []) }
    }

    package func send(sql: String, arguments: StoreArguments) throws {
        pending.append(query(sql, arguments))
        for value in arguments.values {
            switch value {
            case .text(let text): pendingBytes += text.utf8.count
            case .blob(let bytes): pendingBytes += bytes.count
            default: pendingBytes += 8
            }
        }
        if pending.count >= Self.pipelineDepth || pendingBytes >= Self.pipelineBytes { try awaitSent() }
    }

    package func rows(sql: String, each: [StoreArguments]) throws -> [[StoreRow]] {
        try awaitSent()
        let answers = each.map { query(sql, $0) }
        var rows: [[StoreRow]] = []
        var failure: (any Error)?
        for answer in answers {
            // Every answer is awaited, even after a failure, so none is left in flight.
            do { rows.append(try Self.rows(answer.wait().rows)) } catch { failure = failure ?? error }
        }
        if let failure { throw PostgresStoreError(failure) }
        return rows
    }

    /// Waits for every sent write; throws the first failure among them.
    func awaitSent() throws {
        if let failure = drain() { throw PostgresStoreError(failure) }
    }

    /// Waits for every sent write and returns the first failure, if any: before a
    /// rollback, whose outcome does not depend on them.
    func drain() -> (any Error)? {
        let sent = pending
        pending.removeAll()
        pendingBytes = 0
        var failure: (any Error)?
        for answer in sent {
            do { _ = try answer.wait() } catch { failure = failure ?? error }
        }
        return failure
    }

    @discardableResult
    func run(_ sql: String, _ arguments: StoreArguments) throws -> PostgresQueryResult {
        try awaitSent()
        do {
            return try query(sql, arguments).wait()
        } catch {
            throw PostgresStoreError(error)
        }
    }

    private func query(_ sql: String, _ arguments: StoreArguments) -> EventLoopFuture<PostgresQueryResult> {
        var bindings = PostgresBindings(capacity: arguments.values.count)
        for value in arguments.values {
            switch value {
            case .null: bindings.appendNull()
            case .integer(let number): bindings.append(number)
            case .real(let number): bindings.append(number)
            case .text(let text): bindings.append(text)
            case .blob(let bytes): bindings.append(ByteBuffer(bytes: bytes))
            }
        }
        return connection.query(PostgresQuery(unsafeSQL: Self.numbered(sql), binds: bindings), logger: Self.logger)
    }

    static func rows(_ rows: [PostgresRow]) throws -> [StoreRow] {
        guard let first = rows.first else { return [] }
        let columns = StoreColumns(first.map(\.columnName))
        return try rows.map { row in StoreRow(columns: columns, values: try row.map(value)) }
    }

    /// A cell as the store's value: integers, floats and byte strings by their types,
    /// `numeric` (what `sum` of a bigint gives) as an integer when it is one, and
    /// everything else as its text.
    static func value(_ cell: PostgresCell) throws -> StoreValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        case .float4, .float8: return .real(try cell.decode(Double.self))
        case .bytea: return .blob(Array(buffer: try cell.decode(ByteBuffer.self)))
        case .numeric:
            let text = "\(try cell.decode(Decimal.self))"
            return Int64(text).map(StoreValue.integer) ?? .real(Double(text) ?? 0)
        default: return .text(try cell.decode(String.self))
        }
    }

    /// `?` placeholders numbered `$1`, `$2`, … outside quoted text, once per statement.
    static func numbered(_ sql: String) -> String {
        if let known = numberedCache.lock.withLock({ numberedCache.statements[sql] }) { return known }
        var output = ""
        output.reserveCapacity(sql.utf8.count + 16)
        var quote: Character?
        var number = 0
        for character in sql {
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "'" || character == "\"" {
                quote = character
            } else if character == "?" {
                number += 1
                output += "$\(number)"
                continue
            }
            output.append(character)
        }
        numberedCache.lock.withLock {
            // Statements are the store's own: a bounded set, unless IN lists vary widely.
            if numberedCache.statements.count > 4096 { numberedCache.statements.removeAll() }
            numberedCache.statements[sql] = output
        }
        return output
    }

    private static let numberedCache = NumberedStatements()

    /// A script's statements: split at `;` ending a line, which is how the store's
    /// migrations are written (function bodies are run on their own, never in a script).
    static func statements(_ script: String) -> [String] {
        script.components(separatedBy: ";\n").flatMap { $0.components(separatedBy: ";\r\n") }
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .map { $0.hasSuffix(";") ? String($0.dropLast()) : $0 }
            .filter { !$0.isEmpty && !$0.split(separator: "\n").allSatisfy { $0.trimmingCharacters(in: .whitespaces).hasPrefix("--") } }
    }
}

/// A PostgreSQL failure as the store reports it: the server's message and SQLSTATE, never
/// the statement's values.
package struct PostgresStoreError: Error, CustomStringConvertible {
    package var message: String
    package var sqlState: String?

    init(_ error: any Error) {
        if let error = error as? PSQLError {
            sqlState = error.serverInfo?[.sqlState]
            message = error.serverInfo?[.message] ?? "\(error.code)"
        } else {
            message = "\(type(of: error))"
        }
    }

    package var description: String { message + (sqlState.map { " (SQLSTATE \($0))" } ?? "") }

    init(message: String) { self.message = message }
}

/// Statements already rewritten to `$n` placeholders, shared by every connection.
private final class NumberedStatements: @unchecked Sendable {
    // @unchecked: `statements` is read and written only under `lock`.
    let lock = NSLock()
    var statements: [String: String] = [:]
}
