/// One result row, its values read by position or by column name.
///
/// Reading a column as a non-optional type that it does not hold is a programming error
/// (the store reads only its own tables), and traps naming the column, as GRDB's rows do.
package struct StoreRow: Sendable {
    package let columns: StoreColumns
    package let values: [StoreValue]

    package init(columns: StoreColumns, values: [StoreValue]) {
        self.columns = columns
        self.values = values
    }

    package subscript<T: StoreBindable>(_ index: Int) -> T {
        guard let value = T.decode(values[index]) else {
            // The value itself stays out of the message: it may be personal data.
            preconditionFailure("store column \(columns.names[index]) does not hold a \(T.self)")
        }
        return value
    }

    package subscript<T: StoreBindable>(_ index: Int) -> T? { T.decode(values[index]) }

    package subscript<T: StoreBindable>(_ name: String) -> T { self[columns.index(of: name)] }

    package subscript<T: StoreBindable>(_ name: String) -> T? { self[columns.index(of: name)] }
}

/// The column names of one statement's rows, shared by all of them.
package final class StoreColumns: Sendable {
    package let names: [String]

    package init(_ names: [String]) { self.names = names }

    func index(of name: String) -> Int {
        guard let index = names.firstIndex(of: name) else { preconditionFailure("no column \(name) in \(names)") }
        return index
    }
}
