/// An error a user sees: what went wrong, where, and what to do about it.
///
/// Codes are stable strings (`config.unknown-system`, `bundle.bad-signature`) so scripts and
/// auditors can match on them; the message is for people.
public struct FerryError: Error, Sendable, CustomStringConvertible, Equatable {
    public var code: Code
    public var message: String
    public var location: Location?
    public var hint: String?

    public init(_ code: Code, _ message: String, at location: Location? = nil, hint: String? = nil) {
        self.code = code
        self.message = message
        self.location = location
        self.hint = hint
    }

    public var description: String {
        var text = ""
        if let location { text += "\(location): " }
        text += "error[\(code.rawValue)]: \(message)"
        if let hint { text += "\n  hint: \(hint)" }
        return text
    }

    /// A growable set of error codes; new parts add their own in extensions.
    public struct Code: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { self.rawValue = value }

        /// The class of failure, which decides what a caller does: a `bundle` error
        /// rejects that bundle, a `transport` error leaves it to be shipped again, an
        /// `adapter` error is retried or dead-lettered by its kind. Named by the code's
        /// first segment (`transport.full` → `.transport`), the one place that reads it.
        public var family: Family { Family(rawValue: String(rawValue.prefix { $0 != "." })) ?? .other }
    }

    /// Classes of error codes; see `Code.family`.
    public enum Family: String, Sendable {
        case config, io, `internal`, bundle, transport, adapter, audit, json, mapping, key, crypto, store, reconcile, other
    }

    /// Where an error happened: a place in a text file, or an offset in a bundle.
    public enum Location: Sendable, Equatable, CustomStringConvertible {
        case file(SourceLocation)
        case bundle(id: String, offset: Int)
        case record(source: String, key: String)

        public var description: String {
            switch self {
            case .file(let at): return at.description
            case .bundle(let id, let offset): return "bundle \(id) @\(offset)"
            case .record(let source, let key): return "\(source) record \(key)"
            }
        }
    }
}

extension FerryError.Code {
    public static let config: Self = "config"
    public static let io: Self = "io"
    public static let internalFailure: Self = "internal"
    /// A line inside a bundle (record, receipt, resend, reconcile) that does not parse: the
    /// line formats live in FerrySeal and FerryReconcile, the code they share here.
    public static let bundleRecord: Self = "bundle.record"
}

/// A position in a text file, 1-based, as editors show it.
public struct SourceLocation: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}
