import FerryCore
import Foundation

/// Reads the small language of `success:` (see ``SuccessPredicate``) by recursive descent
/// over characters, without recursion on input: clauses and list items are loops.
struct SuccessPredicateParser {
    let characters: [Character]
    let text: String
    let start: SourceLocation
    var index = 0

    init(text: String, start: SourceLocation) {
        self.text = text
        characters = Array(text)
        self.start = start
    }

    mutating func predicate() throws -> [SuccessPredicate.Clause] {
        var clauses = [try clause()]
        while true {
            skipSpaces()
            if index == characters.count { return clauses }
            let word = peekWord()
            guard word == "and" || word == "&&" else {
                throw failure("expected 'and' or the end after a clause", found: true)
            }
            index += word.count
            clauses.append(try clause())
        }
    }

    mutating func clause() throws -> SuccessPredicate.Clause {
        let path = try self.path()
        skipSpaces()
        if take("==") { return .init(path: path, accepted: [try literal()], negated: false) }
        if take("!=") { return .init(path: path, accepted: [try literal()], negated: true) }
        if peekWord() == "in" {
            index += 2
            return .init(path: path, accepted: try list(), negated: false)
        }
        throw failure("expected ==, != or in after \(path.joined(separator: "."))", found: true,
            hint: "write a comparison like code == 0, status == \"ok\" or code in [0, 200]")
    }

    mutating func path() throws -> [String] {
        skipSpaces()
        var names: [String] = []
        repeat {
            let name = String(characters[index...].prefix { Self.isNameCharacter($0) })
            guard !name.isEmpty, !["and", "in", "true", "false", "null"].contains(name) || !names.isEmpty else {
                throw failure("expected the dotted path of a member of the answer, like code or result.code", found: true)
            }
            names.append(name)
            index += name.count
        } while take(".")
        return names
    }

    mutating func list() throws -> [SuccessPredicate.Literal] {
        skipSpaces()
        guard take("[") else { throw failure("expected [ after in", found: true, hint: "write code in [0, 200]") }
        var items = [try literal()]
        while true {
            skipSpaces()
            if take("]") { return items }
            guard take(",") else { throw failure("expected , or ] in the list", found: true) }
            items.append(try literal())
        }
    }

    mutating func literal() throws -> SuccessPredicate.Literal {
        skipSpaces()
        guard index < characters.count else {
            throw failure("expected a value: a number, \"text\", true, false or null", found: false)
        }
        let first = characters[index]
        if first == "\"" || first == "'" {
            let from = index
            index += 1
            guard let close = characters[index...].firstIndex(of: first) else {
                index = from
                throw failure("this text has no closing \(first)", found: false)
            }
            let value = String(characters[index..<close])
            index = close + 1
            return .text(value)
        }
        let word = String(characters[index...].prefix { Self.isNameCharacter($0) || "+-.".contains($0) })
        switch word {
        case "true": index += 4; return .bool(true)
        case "false": index += 5; return .bool(false)
        case "null": index += 4; return .null
        default:
            guard Self.isNumber(word), let number = Decimal(string: word, locale: Locale(identifier: "en_US_POSIX")) else {
                throw failure("expected a value: a number, \"text\", true, false or null", found: true,
                    hint: "quote text: status == \"ok\"")
            }
            index += word.count
            return .number(number)
        }
    }

    // MARK: characters

    mutating func skipSpaces() {
        while index < characters.count, characters[index].isWhitespace { index += 1 }
    }

    mutating func take(_ token: String) -> Bool {
        skipSpaces()
        guard characters[index...].starts(with: token) else { return false }
        index += token.count
        return true
    }

    func peekWord() -> String {
        if characters[index...].starts(with: "&&") { return "&&" }
        return String(characters[index...].prefix { Self.isNameCharacter($0) })
    }

    static func isNameCharacter(_ character: Character) -> Bool {
        character.isLetter || character.isNumber || character == "_" || character == "-"
    }

    /// A JSON-style number: optional minus, digits, optional fraction; nothing else.
    static func isNumber(_ text: String) -> Bool {
        var rest = Substring(text)
        if rest.first == "-" { rest = rest.dropFirst() }
        let whole = rest.prefix { $0.isASCII && $0.isNumber }
        guard !whole.isEmpty, whole.count <= 40 else { return false }
        rest = rest.dropFirst(whole.count)
        guard !rest.isEmpty else { return true }
        guard rest.first == "." else { return false }
        let fraction = rest.dropFirst()
        return !fraction.isEmpty && fraction.count <= 40 && fraction.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// A located error at the current token; `found` quotes what stands there.
    func failure(_ message: String, found: Bool, hint: String? = nil) -> FerryError {
        let at = SourceLocation(file: start.file, line: start.line, column: start.column + index)
        var text = "success: \(message)"
        if found {
            let rest = String(characters[index...].prefix(20))
            text += rest.isEmpty ? ", found the end" : ", found '\(rest)'"
        }
        return FerryError(.config, text, at: .file(at),
            hint: hint ?? "the grammar: path == value, path != value, path in [v1, v2], joined by and (see docs/adapters.md)")
    }
}
