import GRDB

/// The statements of a SQLite cursor read, each written so that an index on the cursor
/// column serves it as a seek (`SEARCH … USING INDEX` in `EXPLAIN QUERY PLAN`) rather than
/// a walk of the whole table or index, which costs in proportion to the table on every page,
/// so that a read of a large table slows as it goes, or on every run. The first page of a
/// whole read walks the index from its start, and its LIMIT ends the walk.
///
/// The NULL and blank probes seek an index on the cursor column alone, whose entries end in
/// the rowid. An index that leads with the cursor and goes on with other columns serves them
/// too, but then SQLite sorts a page's NULL (or blank) rows by rowid: cheap unless a table
/// holds very many rows without a cursor value.
///
/// Every statement's last bound value is the page size (or, for `lookback`, the rows to skip).
struct CursorSQL {
    let select: String
    let column: String
    /// `FROM "table"`, quoted.
    private let fromTable: String

    init(table: String, cursor: String) {
        fromTable = "FROM \(SQLQuote.identifier(table))"
        select = "SELECT rowid AS \"__rowid\", * \(fromTable)"
        column = SQLQuote.identifier(cursor)
    }

    /// Rows without a cursor value, after a rowid. NULL and blank text are asked for apart:
    /// `(c IS NULL OR c = '') AND rowid > ? ORDER BY rowid` is planned as a walk of the whole
    /// table by rowid (0.26 s at a million rows, on every run), while each alone is a seek
    /// of the cursor index, whose entries end in the rowid.
    var nulls: String { "\(select) WHERE \(column) IS NULL AND rowid > ? ORDER BY rowid LIMIT ?" }

    /// Rows whose cursor is blank text, after a rowid: no cursor value either, since it sorts
    /// before every stamp and a window would never reach it.
    var blanks: String { "\(select) WHERE \(column) = '' AND rowid > ? ORDER BY rowid LIMIT ?" }

    /// The first page of a window: cursor values from a start, inclusive.
    var from: String { "\(select) WHERE \(column) >= ? AND \(column) != '' ORDER BY \(column), rowid LIMIT ?" }

    /// The first page of a whole read.
    var first: String { "\(select) WHERE \(column) IS NOT NULL AND \(column) != '' ORDER BY \(column), rowid LIMIT ?" }

    /// The cursor value some rows back from (value, rowid), counting it; run once a run, with
    /// `lookback:` in rows. Bound: the value three times, the rowid, the rows to skip.
    var lookback: String {
        "SELECT \(column) \(fromTable) WHERE \(column) <= ? AND (\(column) < ? OR (\(column) = ? AND rowid <= ?)) AND \(column) != '' ORDER BY \(column) DESC, rowid DESC LIMIT 1 OFFSET ?"
    }

    /// The page after (value, rowid): keyset paging by `Keyset`, then the page size.
    func after(value: DatabaseValue, rowid: Int64) -> (sql: String, arguments: StatementArguments) {
        let keyset = Keyset.after([column, "rowid"], [value, rowid.databaseValue])
        return ("\(select) WHERE \(keyset.sql) AND \(column) != '' ORDER BY \(column), rowid LIMIT ?", StatementArguments(keyset.values))
    }
}
