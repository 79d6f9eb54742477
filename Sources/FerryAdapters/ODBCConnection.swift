import CFerryODBC
import Foundation

/// One connection through unixODBC to whatever driver a DSN or connection string names
/// (DM8, Oracle, PostgreSQL, MariaDB, SQLite…): the one place Ferry calls ODBC.
///
/// The wide (UTF-16) entry points carry SQL, names and text values, so nothing depends on the
/// driver manager's locale; bytes travel as `SQL_C_BINARY`. Values are always bound
/// parameters. Manual commit: the adapter says where transactions end.
final class ODBCConnection {
    /// A value bound to a `?`. Integers go as `SQL_BIGINT`: MySQL compares an integer
    /// column with a string as double precision, where 2⁵³ + 1 equals 2⁵³.
    enum Parameter: Equatable {
        case null
        case text(String)
        case bytes(Data)
        case int(Int64)
    }

    struct Column {
        var name: String
        /// The ODBC SQL type (`SQL_INTEGER`, `SQL_DECIMAL`, `SQL_VARBINARY`…).
        var type: Int16
    }

    struct Result {
        var columns: [Column]
        /// Per column: nil for NULL, else UTF-8 text or the raw bytes of a binary column.
        var rows: [[[UInt8]?]]
    }

    /// The driver's diagnostics: SQLSTATE, native code and message (never a bound value).
    struct Failure: Error, CustomStringConvertible {
        var sqlState: String
        var code: Int
        var message: String
        var description: String { "\(message) (SQLSTATE \(sqlState))" }

        /// Whether the database refused this row's values (SQLSTATE class 22, data, or 23, a
        /// constraint) rather than the statement or the connection failing. SQLite's driver
        /// reports every error as HY000, so there its native codes count: 19 constraint,
        /// 20 type mismatch, 25 out of range (sqlite3.h).
        func refusesRow(_ dialect: SQLDialect) -> Bool {
            if sqlState.hasPrefix("22") || sqlState.hasPrefix("23") { return true }
            return dialect == .sqlite && [19, 20, 25].contains(code)
        }

        /// Whether the server refused the login rather than being unreachable. Drivers differ:
        /// SQLSTATE 28000 is the standard's, but psqlodbc reports 08001 with PostgreSQL's text
        /// and MariaDB's driver its error 1045.
        var refusedLogin: Bool {
            sqlState.hasPrefix("28") || code == 1045 || message.contains("password authentication failed") || message.contains("Access denied")
        }
    }

    private var environment: SQLHENV?
    private var handle: SQLHDBC?

    /// Connects with a full connection string (`DSN=…;UID=…` or `Driver=…;Server=…`);
    /// `password` is appended as `PWD={…}` and never kept.
    init(connection: String, password: String?, timeoutSeconds: Int) throws {
        var env: SQLHENV?
        guard SQLAllocHandle(SQLSMALLINT(SQL_HANDLE_ENV), nil, &env) == SQL_SUCCESS, let env else {
            throw Failure(sqlState: "HY000", code: 0, message: "unixODBC could not allocate an environment")
        }
        environment = env
        _ = cferry_odbc_set_env_int(env, SQLINTEGER(SQL_ATTR_ODBC_VERSION), SQLULEN(SQL_OV_ODBC3))
        var dbc: SQLHDBC?
        guard SQLAllocHandle(SQLSMALLINT(SQL_HANDLE_DBC), env, &dbc) == SQL_SUCCESS, let dbc else {
            throw Failure(sqlState: "HY000", code: 0, message: "unixODBC could not allocate a connection")
        }
        handle = dbc
        queryTimeout = timeoutSeconds
        _ = cferry_odbc_set_connect_int(dbc, SQLINTEGER(SQL_ATTR_LOGIN_TIMEOUT), SQLULEN(timeoutSeconds))
        _ = cferry_odbc_set_connect_int(dbc, SQLINTEGER(SQL_ATTR_CONNECTION_TIMEOUT), SQLULEN(timeoutSeconds))
        // `{}` quoting with `}` doubled, so a password with `;` or `}` stays one value.
        let full = connection + (password.map { ";PWD={" + $0.replacingOccurrences(of: "}", with: "}}") + "}" } ?? "")
        var text = Array(full.utf16)
        var outLength: SQLSMALLINT = 0
        let status = SQLDriverConnectW(dbc, nil, &text, SQLSMALLINT(text.count), nil, 0, &outLength, SQLUSMALLINT(SQL_DRIVER_NOPROMPT))
        // The string held the password: it is overwritten before it is freed.
        for index in text.indices { text[index] = 0 }
        guard Self.succeeded(status) else { throw Self.failure(SQLSMALLINT(SQL_HANDLE_DBC), dbc) }
        connected = true
        _ = cferry_odbc_set_connect_int(dbc, SQLINTEGER(SQL_ATTR_AUTOCOMMIT), SQLULEN(SQL_AUTOCOMMIT_OFF))
    }

    private var connected = false
    /// Seconds a statement may run before the driver cancels it (`SQL_ATTR_QUERY_TIMEOUT`).
    private let queryTimeout: Int

    deinit {
        if let handle {
            if connected {
                _ = SQLEndTran(SQLSMALLINT(SQL_HANDLE_DBC), handle, SQLSMALLINT(SQL_ROLLBACK))
                _ = SQLDisconnect(handle)
            }
            _ = SQLFreeHandle(SQLSMALLINT(SQL_HANDLE_DBC), handle)
        }
        if let environment { _ = SQLFreeHandle(SQLSMALLINT(SQL_HANDLE_ENV), environment) }
    }

    static func succeeded(_ status: SQLRETURN) -> Bool { status == SQL_SUCCESS || status == SQL_SUCCESS_WITH_INFO }

    /// The handle's diagnostic records: the SQLSTATE is the first that is not a warning
    /// (class 01; unixODBC reports a driver it cannot load as 01000, then IM002/IM003), the
    /// message joins them all.
    static func failure(_ type: SQLSMALLINT, _ handle: SQLHANDLE?) -> Failure {
        var records: [Failure] = []
        for number in 1...8 {
            var state = [SQLWCHAR](repeating: 0, count: 6)
            var native: SQLINTEGER = 0
            var message = [SQLWCHAR](repeating: 0, count: 1024)
            var length: SQLSMALLINT = 0
            let status = SQLGetDiagRecW(type, handle, SQLSMALLINT(number), &state, &native, &message, SQLSMALLINT(message.count), &length)
            guard succeeded(status) else { break }
            let text = String(decoding: message.prefix(min(Int(length), message.count - 1)), as: UTF16.self)
            records.append(Failure(sqlState: String(decoding: state.prefix(5), as: UTF16.self), code: Int(native),
                message: text.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        guard let first = records.first(where: { !$0.sqlState.hasPrefix("01") }) ?? records.first else {
            return Failure(sqlState: "HY000", code: 0, message: "the driver gave no reason")
        }
        return Failure(sqlState: first.sqlState, code: first.code, message: records.map(\.message).joined(separator: "; "))
    }

    /// Commits (or rolls back) the open transaction.
    func end(commit: Bool) throws {
        guard SQLEndTran(SQLSMALLINT(SQL_HANDLE_DBC), handle, SQLSMALLINT(commit ? SQL_COMMIT : SQL_ROLLBACK)) == SQL_SUCCESS else {
            throw Self.failure(SQLSMALLINT(SQL_HANDLE_DBC), handle)
        }
    }

    /// Runs a statement with bound values; returns its rows (none for DML) and the rows it changed.
    /// With `limit`, at most that many rows are fetched: a dialect without a limit clause
    /// still reads a page, not the table.
    @discardableResult
    func query(_ sql: String, _ parameters: [Parameter] = [], limit: Int? = nil) throws -> (result: Result, affected: Int) {
        let statement = try Statement(self)
        if let limit { _ = cferry_odbc_set_stmt_int(statement.handle, SQLINTEGER(SQL_ATTR_MAX_ROWS), SQLULEN(limit)) }
        var text = Array(sql.utf16)
        guard Self.succeeded(SQLPrepareW(statement.handle, &text, SQLINTEGER(text.count))) else { throw statement.failure() }
        return try statement.run(parameters, limit: limit)
    }

    /// Runs a statement without values directly (`SQLExecDirect`): savepoints and DDL, which
    /// some drivers (psqlodbc) will not prepare.
    func run(_ sql: String) throws {
        let statement = try Statement(self)
        var text = Array(sql.utf16)
        let status = SQLExecDirectW(statement.handle, &text, SQLINTEGER(text.count))
        guard Self.succeeded(status) || status == SQL_NO_DATA else { throw statement.failure() }
    }

    /// A catalog function's result (`SQLColumns`, `SQLPrimaryKeys`, `SQLTables`).
    func catalog(_ call: (SQLHSTMT) -> SQLRETURN) throws -> Result {
        let statement = try Statement(self)
        guard Self.succeeded(call(statement.handle)) else { throw statement.failure() }
        return try statement.fetch()
    }

    final class Statement {
        let handle: SQLHSTMT

        init(_ connection: ODBCConnection) throws {
            var statement: SQLHSTMT?
            guard SQLAllocHandle(SQLSMALLINT(SQL_HANDLE_STMT), connection.handle, &statement) == SQL_SUCCESS, let statement else {
                throw ODBCConnection.failure(SQLSMALLINT(SQL_HANDLE_DBC), connection.handle)
            }
            handle = statement
            // A driver that cannot cancel statements says so and runs them unbounded.
            _ = cferry_odbc_set_stmt_int(statement, SQLINTEGER(SQL_ATTR_QUERY_TIMEOUT), SQLULEN(connection.queryTimeout))
        }

        deinit { _ = SQLFreeHandle(SQLSMALLINT(SQL_HANDLE_STMT), handle) }

        func failure() -> Failure { ODBCConnection.failure(SQLSMALLINT(SQL_HANDLE_STMT), handle) }

        func run(_ parameters: [Parameter], limit: Int? = nil) throws -> (result: Result, affected: Int) {
            // Buffers and length indicators live until execute returns.
            var buffers: [UnsafeMutableRawPointer] = []
            let indicators = UnsafeMutablePointer<SQLLEN>.allocate(capacity: max(parameters.count, 1))
            defer {
                for buffer in buffers { buffer.deallocate() }
                indicators.deallocate()
            }
            for (index, parameter) in parameters.enumerated() {
                var bytes: [UInt8] = []
                var cType = SQLSMALLINT(SQL_C_WCHAR), sqlType = SQLSMALLINT(SQL_WVARCHAR)
                switch parameter {
                case .null: indicators[index] = SQLLEN(SQL_NULL_DATA)
                case .text(let text):
                    bytes = Array(text.utf16).withUnsafeBytes { Array($0) }
                    indicators[index] = SQLLEN(bytes.count)
                    if text.utf16.count > 4000 { sqlType = SQLSMALLINT(SQL_WLONGVARCHAR) }
                case .int(let number):
                    bytes = withUnsafeBytes(of: number) { Array($0) }
                    indicators[index] = SQLLEN(bytes.count)
                    (cType, sqlType) = (SQLSMALLINT(SQL_C_SBIGINT), SQLSMALLINT(SQL_BIGINT))
                case .bytes(let data):
                    bytes = [UInt8](data)
                    indicators[index] = SQLLEN(bytes.count)
                    (cType, sqlType) = (SQLSMALLINT(SQL_C_BINARY), SQLSMALLINT(data.count > 8000 ? SQL_LONGVARBINARY : SQL_VARBINARY))
                }
                let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 8), alignment: 8)
                bytes.withUnsafeBytes { if let base = $0.baseAddress { buffer.copyMemory(from: base, byteCount: bytes.count) } }
                buffers.append(buffer)
                let size = SQLULEN(max(cType == SQLSMALLINT(SQL_C_WCHAR) ? bytes.count / 2 : bytes.count, 1))
                let status = SQLBindParameter(handle, SQLUSMALLINT(index + 1), SQLSMALLINT(SQL_PARAM_INPUT), cType, sqlType, size, 0, buffer,
                    SQLLEN(bytes.count), indicators + index)
                guard ODBCConnection.succeeded(status) else { throw failure() }
            }
            let status = SQLExecute(handle)
            // SQL_NO_DATA: an UPDATE or DELETE that matched nothing.
            guard ODBCConnection.succeeded(status) || status == SQL_NO_DATA else { throw failure() }
            var affected: SQLLEN = 0
            _ = SQLRowCount(handle, &affected)
            return (try fetch(limit: limit), Int(affected))
        }

        /// The rows of the current result set, or none when the statement made none.
        func fetch(limit: Int? = nil) throws -> Result {
            var count: SQLSMALLINT = 0
            guard ODBCConnection.succeeded(SQLNumResultCols(handle, &count)), count > 0 else { return Result(columns: [], rows: []) }
            var columns: [Column] = []
            for index in 1...Int(count) {
                var name = [SQLWCHAR](repeating: 0, count: 256)
                var length: SQLSMALLINT = 0, type: SQLSMALLINT = 0, digits: SQLSMALLINT = 0, nullable: SQLSMALLINT = 0
                var size: SQLULEN = 0
                guard ODBCConnection.succeeded(SQLDescribeColW(handle, SQLUSMALLINT(index), &name, 256, &length, &type, &size, &digits, &nullable)) else {
                    throw failure()
                }
                columns.append(Column(name: String(decoding: name.prefix(min(Int(length), 255)), as: UTF16.self), type: type))
            }
            var rows: [[[UInt8]?]] = []
            while rows.count < limit ?? Int.max {
                let status = SQLFetch(handle)
                if status == SQL_NO_DATA { break }
                guard ODBCConnection.succeeded(status) else { throw failure() }
                rows.append(try columns.indices.map { try value(column: $0 + 1, binary: ODBCConnection.isBinary(columns[$0].type)) })
            }
            _ = SQLCloseCursor(handle)
            return Result(columns: columns, rows: rows)
        }

        /// One column of the current row, in as many `SQLGetData` pieces as it takes.
        private func value(column: Int, binary: Bool) throws -> [UInt8]? {
            let cType = SQLSMALLINT(binary ? SQL_C_BINARY : SQL_C_WCHAR)
            var collected: [UInt8] = []
            var piece = [UInt8](repeating: 0, count: 8192)
            while true {
                var indicator: SQLLEN = 0
                let status = piece.withUnsafeMutableBytes { SQLGetData(handle, SQLUSMALLINT(column), cType, $0.baseAddress, SQLLEN($0.count), &indicator) }
                if status == SQL_NO_DATA { break }
                guard ODBCConnection.succeeded(status) else { throw failure() }
                if indicator == SQLLEN(SQL_NULL_DATA) { return nil }
                // A wide piece ends in a 2-byte terminator that is not part of the value.
                let room = binary ? piece.count : piece.count - 2
                let got = indicator == SQLLEN(SQL_NO_TOTAL) || Int(indicator) > room ? room : Int(indicator)
                collected += piece.prefix(got)
                if status == SQL_SUCCESS { break }
            }
            guard !binary else { return collected }
            // SQLWCHAR is UTF-16 in the machine's byte order (little-endian here).
            let units = stride(from: 0, to: collected.count - 1, by: 2).map { UInt16(collected[$0]) | UInt16(collected[$0 + 1]) << 8 }
            return Array(String(decoding: units, as: UTF16.self).utf8)
        }
    }

    static func isBinary(_ type: Int16) -> Bool {
        [SQL_BINARY, SQL_VARBINARY, SQL_LONGVARBINARY].map(Int16.init).contains(type)
    }
}
