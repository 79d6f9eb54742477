public import FerryCore

/// What a cursor-read source can say about how safely its cursor reads: facts for
/// `ferry adapters check`, which turns them into warnings.
public struct CursorHealth: Sendable, Equatable {
    /// The cursor column.
    public var column: String
    /// Rows whose cursor is NULL.
    public var nullRows: Int
    /// The newest cursor value, if any row has one.
    public var newest: Value?
    /// The column's declared type, where the database declares one.
    public var declaredType: String?
    public var window: CursorWindow
    /// The kinds of value the column holds (SQLite's `typeof`: integer, real, text); more
    /// than one means some rows sort where a cursor never looks.
    public var storageClasses: [String] = []

    public init(column: String, nullRows: Int, newest: Value?, declaredType: String?, window: CursorWindow) {
        (self.column, self.nullRows, self.newest, self.declaredType, self.window) = (column, nullRows, newest, declaredType, window)
    }

    /// Whether the cursor stamps whole seconds (or days): from a declared time type where
    /// there is one (`timestamp` keeps microseconds, `timestamp(0)`, MySQL `DATETIME` and
    /// `DATE` do not), else from the newest value's text.
    var wholeSeconds: Bool {
        let type = (declaredType ?? "").lowercased()
        if type == "date" { return true }
        if type.hasPrefix("timestamp") || type.hasPrefix("datetime") {
            guard let open = type.firstIndex(of: "("), let close = type.firstIndex(of: ")"), open < close,
                let precision = Int(type[type.index(after: open)..<close])
            else { return type.hasPrefix("datetime") }
            return precision == 0
        }
        return newest.map(CursorWindow.hasSecondResolution) ?? false
    }

    /// Warnings an integration engineer should read before trusting incremental reads.
    public var warnings: [String] {
        var out: [String] = []
        if wholeSeconds, window.lookback == .none {
            out.append("cursor \(column) has one-second (or coarser) resolution and no lookback is set: rows stamped in the last "
                + "second are read again, but a transaction that commits late with an earlier stamp is missed; "
                + "set lookback: to the longest time a source transaction stays open (e.g. lookback: 5m)")
        }
        if storageClasses.count > 1 {
            out.append("cursor \(column) holds values of several kinds (\(storageClasses.joined(separator: ", "))): SQLite orders every "
                + "number before every text, so rows of one kind written after rows of the other are never read; store one kind "
                + "(e.g. UPDATE … SET \(column) = CAST(\(column) AS TEXT)) or use cursor: changes")
        }
        if case .seconds = window.lookback, let newest, CursorWindow.earlier(newest, bySeconds: 0) == nil {
            out.append("lookback is a time span, but \(column) holds '\(newest.text ?? "?")', which is not a date or timestamp: "
                + "reads will stop with an error; give lookback as a number of rows instead")
        }
        if nullRows > 0 {
            switch window.nullPolicy {
            case .read:
                out.append("\(nullRows) rows have no \(column) value (NULL or empty): they are read on every run and sent once (null_cursor: read)")
            case .skip:
                out.append("\(nullRows) rows have no \(column) value (NULL or empty) and are left out of incremental reads (null_cursor: skip); "
                    + "only mode: full and reconcile see them")
            }
        }
        return out
    }
}

/// A source that reads by a cursor column and can report on it.
public protocol CursorInspecting {
    /// nil when the source does not read by a column.
    func cursorHealth() throws -> CursorHealth?
}
