public import FerryCore

/// One batch read from a source, with the checkpoint reached after it.
public struct SourceBatch: Sendable {
    public var rows: [[String: Value]]
    /// Where each row sits in the source (rowid, file:line…), for quarantine reports.
    public var positions: [String]
    /// Opaque to everyone but the adapter; stored by the queue with the batch's records.
    public var checkpoint: String
    /// Input that could not be read as a row at all (a malformed line of a file), kept with
    /// its raw bytes so the node can quarantine it and go on with the rest.
    public var malformed: [MalformedRow] = []

    public init(rows: [[String: Value]], positions: [String], checkpoint: String, malformed: [MalformedRow] = []) {
        (self.rows, self.positions, self.checkpoint, self.malformed) = (rows, positions, checkpoint, malformed)
    }
}

/// A piece of source input that is not a row: where it sits, why it was refused, its bytes.
public struct MalformedRow: Sendable, Equatable {
    /// `file:line:column` or another place a user can find.
    public var position: String
    /// What is wrong and what to do, as the error a user would otherwise have seen.
    public var reason: String
    /// The raw input (bounded by the reader's line limit); may hold personal data.
    public var raw: [UInt8]

    public init(position: String, reason: String, raw: [UInt8]) {
        (self.position, self.reason, self.raw) = (position, reason, raw)
    }
}

/// Reads batches in order; `next()` returns nil when the source is drained.
public protocol SourceReader {
    mutating func next() throws -> SourceBatch?
}

/// A system Ferry reads from.
public protocol Source: Sendable {
    /// Connects and authenticates, or says what is wrong.
    func check() throws
    /// The fields (columns) the source offers.
    func discover() throws -> [String]
    /// Rows changed after `checkpoint` (from the beginning when nil), in batches.
    func read(since checkpoint: String?, batchSize: Int) throws -> any SourceReader
    /// Every row the system holds, including rows an incremental read leaves out by design
    /// (`null_cursor: skip`): what `mode: full`, reconcile and checks read.
    func readAll(batchSize: Int) throws -> any SourceReader
    /// Whether reading has no side effect, so a sync may read batches ahead of committing
    /// the ones before (`MappedBatches`): true for a database query. A folder's read
    /// retires the previous batch's file, an HTTP read clears the previous batch's
    /// downloads, and an exec or airbyte read waits on a child process that nothing could
    /// interrupt if the writes failed meanwhile: those read in step (the default).
    var readsAhead: Bool { get }
}

extension Source {
    public var readsAhead: Bool { false }

    /// For sources whose first incremental read is already everything.
    public func readAll(batchSize: Int) throws -> any SourceReader {
        try read(since: nil, batchSize: batchSize)
    }
}

/// A source whose incremental read consumes what it reads (a folder moves finished files to
/// `done/`), so comparing its whole copy needs a read of its own that takes nothing away.
public protocol WholeCopyReading {
    /// Every record the system holds, read without changing anything.
    func readWholeCopy(batchSize: Int) throws -> any SourceReader
}

extension Source {
    /// What reconcile and checks compare: the whole copy, read without consuming anything.
    public func readCopy(batchSize: Int) throws -> any SourceReader {
        if let copy = self as? any WholeCopyReading { return try copy.readWholeCopy(batchSize: batchSize) }
        return try readAll(batchSize: batchSize)
    }
}

/// A source that reads by a cursor column and can tell whether that column leads an index:
/// without one, every incremental batch scans and sorts the whole table.
public protocol CursorIndexed {
    /// nil when the source does not read by a column (rowid, change capture).
    func cursorIndexed() throws -> Bool?
}

/// A database source that can install triggers recording every insert, update and delete
/// (`ferry adapters install-capture`); returns what it created, nothing when run again.
public protocol ChangeCapturing {
    func installCapture(keyColumns: [String], versionColumn: String?) throws -> [String]
}

/// One row to write, addressed by its key columns.
public struct SinkRow: Sendable {
    public var key: [String: Value]
    public var values: [String: Value]
    public var operation: Record.Operation
    /// Overwrite a row holding this very version: the record is a same-version change (other
    /// content under an unchanged version, as one-second version columns give) or a repair.
    /// An older version never overwrites, whatever this says.
    public var replacesSameVersion = false

    public init(key: [String: Value], values: [String: Value], operation: Record.Operation = .upsert, replacesSameVersion: Bool = false) {
        self.key = key
        self.values = values
        self.operation = operation
        self.replacesSameVersion = replacesSameVersion
    }
}

/// What became of one row in the sink.
public enum SinkOutcome: Sendable, Equatable {
    case applied
    /// The sink holds a newer version, or this version with the same content.
    case skippedOlder
    case rejected(String)
}

/// A system Ferry writes to. `apply` is idempotent: applying a row twice, or an older
/// version after a newer one, leaves the sink as the newest version left it.
public protocol Sink: Sendable {
    func check() throws
    func apply(_ rows: [SinkRow]) throws -> [SinkOutcome]
}

/// Which columns a sink keys and versions rows by, from the system's mapping.
public struct SinkLayout: Sendable {
    public var keyColumns: [String]
    public var versionColumn: String?

    public init(keyColumns: [String], versionColumn: String?) {
        self.keyColumns = keyColumns
        self.versionColumn = versionColumn
    }
}
