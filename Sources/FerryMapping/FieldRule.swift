public import FerryCore

/// How one canonical field is stored in one system.
public struct FieldRule: Sendable {
    public struct Translation: Sendable {
        public var table: CodeTable
        public var column: String
    }

    /// `when: "COLUMN == 'literal'"` (or `!=`): the rule reads its column only when the
    /// row's column compares so; otherwise the field is empty (and takes its default).
    public struct Condition: Sendable {
        public var column: String
        public var equals: Bool
        public var literal: String
        public var text: String

        func holds(_ row: [String: Value]) -> Bool { ((row[column]?.text ?? "") == literal) == equals }
    }

    public var field: String
    /// The entity's declaration of `field`, resolved once at load.
    public var spec: FieldSpec
    public var column: String?
    /// `path: applicant.name`: a value inside a nested row, instead of a column.
    public var path: ValuePath?
    /// `columns: [a, b]`: the value is the columns' texts joined by `separator` (concat).
    /// With a non-empty separator it splits back into the columns when writing.
    public var concat: [String] = []
    public var separator = ""
    public var when: Condition?
    public var transforms: [Transform]
    public var translate: Translation?
    /// Per-element rules for lists.
    public var eachTranslate: Translation?
    public var eachFormat: DatePattern?
    public var format: DatePattern?
    /// A timestamp without a format read from text that carries no offset (a database
    /// `timestamp` column) is in this zone: the mapping's `timezone:`, seconds east of UTC.
    public var readZone: Int?
    /// Lists are stored as one text joined by this separator.
    public var join: String?
    public var defaultValue: String?
    /// `write: false`: the field is read but never written, so another field that reads the
    /// same column is the one that writes it.
    public var writes = true
    /// `fraction: truncate`: writing drops the digits of a fraction of a second the system's
    /// format cannot hold, instead of refusing the record.
    public var truncatesFraction = false
    /// `name_column: ZZMC`: a document field's file name is read from (and written to) this column.
    public var documentName: String?
    /// `media_type: application/pdf`: a document field's media type, instead of the one its
    /// first bytes suggest.
    public var mediaType: String?
    /// `require_signature: [node]`: a document field of a target is applied only with a
    /// valid signature by one of these nodes.
    public var requireSignature: [String] = []
    public var location: SourceLocation

    /// Every system column the rule touches.
    public var allColumns: [String] {
        (column.map { [$0] } ?? []) + (path.map { [$0.root] } ?? []) + concat + (when.map { [$0.column] } ?? []) + (documentName.map { [$0] } ?? [])
    }

    /// Why writing back cannot undo this rule, if it cannot.
    public var lossy: String? {
        if let transform = transforms.first(where: { !$0.invertible }) { return "transform \(transform.name)" }
        if !concat.isEmpty && separator.isEmpty { return "columns joined without a separator" }
        return nil
    }
}
