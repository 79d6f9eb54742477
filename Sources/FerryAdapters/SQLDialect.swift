/// The few ways the databases behind an ODBC driver differ in the SQL Ferry writes: how a
/// name is quoted, how a query is cut to a page, and whether a transaction can roll back
/// one row (savepoints). Everything else the adapter writes is SQL-92.
public enum SQLDialect: String, Sendable, CaseIterable {
    case mysql, postgresql, oracle, dm, sqlite, generic

    /// A delimited identifier: backticks for MySQL, SQL's double quotes for the rest
    /// (Oracle and DM keep the case of a quoted name: write it as the catalog stores it,
    /// usually upper case).
    public func quote(_ name: String) -> String {
        SQLQuote.quoted(name, by: self == .mysql ? UInt8(ascii: "`") : UInt8(ascii: "\""))
    }

    /// What ends a query so it returns at most `rows` rows; empty for `generic`, whose reads
    /// stop fetching instead.
    public func limit(_ rows: Int) -> String {
        switch self {
        case .mysql, .postgresql, .sqlite, .dm: return " LIMIT \(rows)"
        // Oracle 12c and later (SQL:2008's row limiting clause).
        case .oracle: return " FETCH FIRST \(rows) ROWS ONLY"
        case .generic: return ""
        }
    }

    /// Whether `SAVEPOINT` and `ROLLBACK TO SAVEPOINT` work, so one row can fail alone
    /// inside a batch's transaction; without them each row commits on its own.
    public var hasSavepoints: Bool { self != .generic }

    /// `ROLLBACK TO SAVEPOINT name` as the dialect spells it (Oracle drops `SAVEPOINT`).
    public func rollback(to savepoint: String) -> String {
        self == .oracle ? "ROLLBACK TO \(savepoint)" : "ROLLBACK TO SAVEPOINT \(savepoint)"
    }

    /// Whether `RELEASE SAVEPOINT` exists (Oracle and DM release at commit).
    public var releasesSavepoints: Bool { self != .oracle && self != .dm && self != .generic }
}
