public import FerryCore

/// How one canonical field is stored in one system.
public struct FieldRule: Sendable {
    public struct Translation: Sendable {
        public var table: CodeTable
        public var column: String
    }

    public var field: String
    /// The entity's declaration of `field`, resolved once at load.
    public var spec: FieldSpec
    public var column: String?
    public var transforms: [Transform]
    public var translate: Translation?
    /// Per-element rules for lists.
    public var eachTranslate: Translation?
    public var eachFormat: DatePattern?
    public var format: DatePattern?
    /// Lists are stored as one text joined by this separator.
    public var join: String?
    public var defaultValue: String?
    public var location: SourceLocation
}
