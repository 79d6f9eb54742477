import CFerryMariaDB
import Foundation

/// One connection to a MySQL-protocol server (MySQL, MariaDB, OceanBase in MySQL mode, TiDB,
/// GoldenDB, TDSQL) through MariaDB Connector/C: the one place Ferry calls that library.
///
/// Every statement is prepared and its values bound (the binary protocol), never spliced
/// into SQL. Results come back as text or bytes per column, with the column's type, so the
/// adapter decides what a value is. Not shared between threads: one per read or apply.
final class MySQLConnection {
    /// A value bound to a `?` placeholder. Integers go as integers: MySQL compares an
    /// integer column with a string as double precision, where 2⁵³ + 1 equals 2⁵³.
    enum Parameter: Equatable {
        case null
        case text(String)
        case bytes(Data)
        case int(Int64)
        case unsigned(UInt64)
    }

    /// A column of a result: its name and the server's type for it.
    struct Column {
        var name: String
        var type: enum_field_types
        var flags: UInt32
        /// The character set number; 63 is `binary` (BLOB, BINARY, VARBINARY).
        var charset: UInt32
        /// Bytes rather than text: a string or BLOB type in the `binary` character set. Dates
        /// and numbers report charset 63 too, but arrive as text.
        var isBinary: Bool {
            guard charset == 63 else { return false }
            return [MYSQL_TYPE_STRING, MYSQL_TYPE_VAR_STRING, MYSQL_TYPE_VARCHAR, MYSQL_TYPE_BLOB, MYSQL_TYPE_TINY_BLOB, MYSQL_TYPE_MEDIUM_BLOB,
                MYSQL_TYPE_LONG_BLOB].contains(type)
        }
    }

    struct Result {
        var columns: [Column]
        /// One entry per column: nil for SQL NULL, else the value's bytes (text as UTF-8).
        var rows: [[[UInt8]?]]
    }

    /// The server's or the library's error, by number, SQLSTATE and message. The message
    /// never holds bound values (the server does not echo them) or the password.
    struct Failure: Error, CustomStringConvertible {
        var code: UInt32
        var sqlState: String
        var message: String
        var description: String { "\(message) (error \(code), SQLSTATE \(sqlState))" }
    }

    struct Settings {
        var host: String
        var port: Int
        var user: String
        var password: String?
        var database: String
        var requireTLS = false
        /// PEM file of the CA that signed the server's certificate; with it the certificate is verified.
        var tlsCA: String?
        var timeoutSeconds = 30
    }

    private static let libraryReady: Bool = mysql_server_init(0, nil, nil) == 0

    private let handle: UnsafeMutablePointer<MYSQL>

    /// Connects with `utf8mb4` and the given timeouts (connect, read and write, in seconds).
    /// - Throws: `Failure` when the server cannot be reached or refuses the login.
    init(_ settings: Settings) throws {
        guard Self.libraryReady, let handle = mysql_init(nil) else {
            throw Failure(code: 0, sqlState: "HY000", message: "MariaDB Connector/C could not start")
        }
        self.handle = handle
        let seconds = UInt32(clamping: settings.timeoutSeconds)
        _ = cferry_mysql_option_uint(handle, MYSQL_OPT_CONNECT_TIMEOUT, seconds)
        _ = cferry_mysql_option_uint(handle, MYSQL_OPT_READ_TIMEOUT, seconds)
        _ = cferry_mysql_option_uint(handle, MYSQL_OPT_WRITE_TIMEOUT, seconds)
        _ = mysql_options(handle, MYSQL_SET_CHARSET_NAME, "utf8mb4")
        // Never send a local file the server asks for (LOAD DATA LOCAL): Ferry has no use for it.
        _ = cferry_mysql_option_uint(handle, MYSQL_OPT_LOCAL_INFILE, 0)
        if settings.requireTLS {
            _ = cferry_mysql_option_bool(handle, MYSQL_OPT_SSL_ENFORCE, 1)
            if let ca = settings.tlsCA {
                _ = mysql_options(handle, MYSQL_OPT_SSL_CA, ca)
                _ = cferry_mysql_option_bool(handle, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, 1)
            }
        }
        let connected = mysql_real_connect(
            handle, settings.host, settings.user, settings.password, settings.database, UInt32(clamping: settings.port), nil,
            UInt(CLIENT_MULTI_RESULTS))
        // deinit closes the handle: a class whose stored properties are set is deinitialised
        // even when its init throws.
        guard connected != nil else { throw Self.failure(of: handle) }
    }

    deinit { mysql_close(handle) }

    /// Runs a statement without values through the text protocol (SET, BEGIN, DDL).
    func run(_ sql: String) throws {
        guard mysql_real_query(handle, sql, UInt(sql.utf8.count)) == 0 else { throw Self.failure(of: handle) }
        // Drain any result so the connection is ready for the next statement.
        repeat {
            if let result = mysql_store_result(handle) { mysql_free_result(result) }
        } while mysql_next_result(handle) == 0
    }

    /// Runs a prepared statement; returns its rows, or none with `affectedRows` set.
    @discardableResult
    func query(_ sql: String, _ parameters: [Parameter] = []) throws -> Result {
        try statement(sql).run(parameters)
    }

    /// Runs a prepared statement that returns no rows; returns how many rows it changed.
    func execute(_ sql: String, _ parameters: [Parameter] = []) throws -> UInt64 {
        let prepared = try statement(sql)
        _ = try prepared.run(parameters)
        return prepared.affectedRows
    }

    /// A statement prepared once and run many times (a batch's rows).
    func statement(_ sql: String) throws -> Statement {
        guard let handle = mysql_stmt_init(handle) else { throw Self.failure(of: self.handle) }
        let statement = Statement(handle)
        guard mysql_stmt_prepare(handle, sql, UInt(sql.utf8.count)) == 0 else { throw Statement.failure(of: handle) }
        return statement
    }

    static func failure(of handle: UnsafeMutablePointer<MYSQL>) -> Failure {
        Failure(code: mysql_errno(handle), sqlState: String(cString: mysql_sqlstate(handle)), message: String(cString: mysql_error(handle)))
    }

    /// A prepared statement. Its parameters are bound from Swift memory that lives for the
    /// call; its results are fetched as text (numbers and dates as the server formats them
    /// in the binary protocol's conversion) or bytes.
    final class Statement {
        let handle: UnsafeMutablePointer<MYSQL_STMT>
        private(set) var affectedRows: UInt64 = 0

        init(_ handle: UnsafeMutablePointer<MYSQL_STMT>) { self.handle = handle }
        deinit { mysql_stmt_close(handle) }

        static func failure(of handle: UnsafeMutablePointer<MYSQL_STMT>) -> Failure {
            Failure(code: mysql_stmt_errno(handle), sqlState: String(cString: mysql_stmt_sqlstate(handle)),
                message: String(cString: mysql_stmt_error(handle)))
        }

        func run(_ parameters: [Parameter]) throws -> Result {
            let expected = Int(mysql_stmt_param_count(handle))
            guard expected == parameters.count else {
                throw Failure(code: 0, sqlState: "HY000", message: "statement takes \(expected) values, \(parameters.count) given")
            }
            // Every parameter's bytes in one block that stays allocated until execute returns.
            var offsets: [Int] = []
            offsets.reserveCapacity(parameters.count)
            var lengths: [UInt] = []
            lengths.reserveCapacity(parameters.count)
            var total = 0
            for parameter in parameters {
                let size: Int
                switch parameter {
                case .null: size = 0
                case .text(let text): size = text.utf8.count
                case .bytes(let data): size = data.count
                case .int, .unsigned: size = 8
                }
                offsets.append(total)
                lengths.append(UInt(size))
                total += (size + 7) & ~7
            }
            let block = UnsafeMutableRawPointer.allocate(byteCount: max(total, 8), alignment: 8)
            defer { block.deallocate() }
            for (index, parameter) in parameters.enumerated() {
                let target = block + offsets[index]
                switch parameter {
                case .null: break
                case .text(var text): text.withUTF8 { if let base = $0.baseAddress { target.copyMemory(from: base, byteCount: $0.count) } }
                case .bytes(let data): data.withUnsafeBytes { if let base = $0.baseAddress { target.copyMemory(from: base, byteCount: $0.count) } }
                case .int(let number): target.storeBytes(of: number, as: Int64.self)
                case .unsigned(let number): target.storeBytes(of: number, as: UInt64.self)
                }
            }
            var binds = [MYSQL_BIND](repeating: MYSQL_BIND(), count: max(parameters.count, 1))
            var nulls = parameters.map { $0 == .null ? my_bool(1) : my_bool(0) }
            let buffers = offsets.map { block + $0 }
            try lengths.withUnsafeMutableBufferPointer { lengthPointers in
                try nulls.withUnsafeMutableBufferPointer { nullPointers in
                    for index in parameters.indices {
                        let type: enum_field_types
                        switch parameters[index] {
                        case .bytes: type = MYSQL_TYPE_BLOB
                        case .int, .unsigned: type = MYSQL_TYPE_LONGLONG
                        default: type = MYSQL_TYPE_STRING
                        }
                        cferry_mysql_bind(&binds[index], type, buffers[index], lengthPointers[index], lengthPointers.baseAddress! + index,
                            nullPointers.baseAddress! + index)
                        if case .unsigned = parameters[index] { cferry_mysql_bind_unsigned(&binds[index]) }
                    }
                    if !parameters.isEmpty, mysql_stmt_bind_param(handle, &binds) != 0 { throw Self.failure(of: handle) }
                    guard mysql_stmt_execute(handle) == 0 else { throw Self.failure(of: handle) }
                }
            }
            affectedRows = mysql_stmt_affected_rows(handle)
            return try fetch()
        }

        /// The result set of the last execute, or an empty one.
        private func fetch() throws -> Result {
            guard let metadata = mysql_stmt_result_metadata(handle) else { return Result(columns: [], rows: []) }
            defer { mysql_free_result(metadata) }
            let count = Int(mysql_num_fields(metadata))
            let fields = mysql_fetch_fields(metadata)!
            let columns = (0..<count).map { index in
                let field = fields[index]
                return Column(name: String(cString: field.name), type: field.type, flags: field.flags, charset: field.charsetnr)
            }
            guard mysql_stmt_store_result(handle) == 0 else { throw Self.failure(of: handle) }
            defer { mysql_stmt_free_result(handle) }
            let capacity = 256
            var binds = [MYSQL_BIND](repeating: MYSQL_BIND(), count: count)
            var lengths = [UInt](repeating: 0, count: count)
            var nulls = [my_bool](repeating: 0, count: count)
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity * max(count, 1), alignment: 1)
            defer { buffer.deallocate() }
            var rows: [[[UInt8]?]] = []
            try lengths.withUnsafeMutableBufferPointer { lengthPointers in
                try nulls.withUnsafeMutableBufferPointer { nullPointers in
                    for index in 0..<count {
                        let binary = columns[index].isBinary
                        cferry_mysql_bind(&binds[index], binary ? MYSQL_TYPE_BLOB : MYSQL_TYPE_STRING, buffer + index * capacity, UInt(capacity),
                            lengthPointers.baseAddress! + index, nullPointers.baseAddress! + index)
                    }
                    guard mysql_stmt_bind_result(handle, &binds) == 0 else { throw Self.failure(of: handle) }
                    while true {
                        let status = mysql_stmt_fetch(handle)
                        if status == MYSQL_NO_DATA { break }
                        guard status == 0 || status == MYSQL_DATA_TRUNCATED else { throw Self.failure(of: handle) }
                        var row: [[UInt8]?] = []
                        row.reserveCapacity(count)
                        for index in 0..<count {
                            if nullPointers[index] != 0 { row.append(nil); continue }
                            let length = Int(lengthPointers[index])
                            if length <= capacity {
                                row.append(Array(UnsafeRawBufferPointer(start: buffer + index * capacity, count: length)))
                            } else {
                                row.append(try column(index, length: length, binary: columns[index].isBinary))
                            }
                        }
                        rows.append(row)
                    }
                }
            }
            return Result(columns: columns, rows: rows)
        }

        /// A value longer than the fetch buffer, fetched again whole.
        private func column(_ index: Int, length: Int, binary: Bool) throws -> [UInt8] {
            // The bind keeps pointers past the call that sets it: all three live until return.
            let bytes = UnsafeMutableRawPointer.allocate(byteCount: length + 1, alignment: 1)
            let got = UnsafeMutablePointer<UInt>.allocate(capacity: 1)
            let null = UnsafeMutablePointer<my_bool>.allocate(capacity: 1)
            defer { bytes.deallocate(); got.deallocate(); null.deallocate() }
            var bind = MYSQL_BIND()
            cferry_mysql_bind(&bind, binary ? MYSQL_TYPE_BLOB : MYSQL_TYPE_STRING, bytes, UInt(length + 1), got, null)
            guard mysql_stmt_fetch_column(handle, &bind, UInt32(index), 0) == 0 else { throw Self.failure(of: handle) }
            return Array(UnsafeRawBufferPointer(start: bytes, count: length))
        }
    }
}
