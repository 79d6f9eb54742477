public import FerryCore
import Foundation

/// When a JSON answer means success, for systems that answer HTTP 200 with the outcome in
/// the body (`{"code":401,"msg":"令牌已过期","data":[]}`). Written in an http system's
/// `success:` option and parsed when the config loads.
///
/// Grammar (whitespace between tokens is free):
///
///     predicate := clause ( "and" clause )*
///     clause    := path ( "==" | "!=" ) literal
///                | path "in" "[" literal ( "," literal )* "]"
///     path      := name ( "." name )*        name: letters, digits, "_" or "-"
///     literal   := number | "text" | 'text' | true | false | null
///
/// A number matches the same number, also when the system quotes it (`"code": "0"`); a text
/// matches that text, or a number of that value; `null` matches null or an absent member,
/// so `code in [0, null]` accepts an answer with no `code`. Only answers that are JSON
/// objects are judged: an array or an empty body carries no envelope.
public struct SuccessPredicate: Sendable, Equatable, CustomStringConvertible {
    enum Literal: Sendable, Equatable {
        case number(Decimal)
        case text(String)
        case bool(Bool)
        case null
    }

    struct Clause: Sendable, Equatable {
        var path: [String]
        /// Any of these makes the clause hold (`==` has one, `in` several).
        var accepted: [Literal]
        var negated: Bool
    }

    /// The predicate as written, for messages.
    public let text: String
    let clauses: [Clause]

    public var description: String { text }

    /// Parses `text`; errors point at the offending token (file:line:column), counting
    /// columns from `start`, the position of the predicate's first character.
    public init(parsing text: String, at start: SourceLocation) throws {
        var parser = SuccessPredicateParser(text: text, start: start)
        self.text = text
        clauses = try parser.predicate()
    }

    /// Whether `answer` means success.
    public func holds(on answer: Value) -> Bool {
        failing(on: answer).isEmpty
    }

    /// The paths of the clauses that do not hold, with the value found there.
    func failing(on answer: Value) -> [(path: String, value: Value?)] {
        clauses.compactMap { clause in
            let value = HTTPAdapter.member(clause.path, of: answer)
            let matched = clause.accepted.contains { Self.matches($0, value) }
            return matched == clause.negated ? (clause.path.joined(separator: "."), value) : nil
        }
    }

    /// Every path the predicate reads.
    var paths: [[String]] { clauses.map(\.path) }

    static func matches(_ literal: Literal, _ value: Value?) -> Bool {
        switch (literal, value) {
        case (.null, nil), (.null, .null?): return true
        case (.bool(let a), .bool(let b)?): return a == b
        case (.number(let a), let found?): return number(found).map { $0 == a } ?? false
        case (.text(let a), .string(let b)?): return a == b
        case (.text(let a), let found?):
            guard let b = number(found), let parsed = Decimal(string: a, locale: Locale(identifier: "en_US_POSIX")) else { return false }
            return parsed == b
        default: return false
        }
    }

    /// A JSON number, or a string that holds exactly a decimal number, as a value.
    static func number(_ value: Value) -> Decimal? {
        let text: String
        switch value {
        case .int(let n): return Decimal(n)
        case .decimal(let d): text = d
        case .string(let s): text = s
        default: return nil
        }
        guard SuccessPredicateParser.isNumber(text) else { return nil }
        return Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
    }
}
