import FerryCore

/// The writing direction of a mapping compiled down to bytes: canonical NDJSON lines in,
/// system rows out as JSON, without building a dictionary, a `Value` or a `String` per
/// record. Code tables become byte-keyed hash tables, date patterns byte formatters.
///
/// It handles the common line (flat object, strings without escapes, lists of strings) and
/// answers nil for anything else: escapes, nested values, a code the table lacks under
/// `fail`, a malformed date. The caller then takes the general path, which produces the
/// same output or the proper reject, so both paths agree line for line (a test holds them
/// to that).
struct CompiledWriter {
    enum Kind {
        /// The value's JSON token, as it came.
        case copy
        case translate(ByteTable, fallback: [UInt8]?, passthrough: Bool)
        case date(DatePattern)
        case timestamp(DatePattern)
    }

    struct Column {
        /// `"NAME":` as JSON, ready to append.
        var key: [UInt8]
        /// Index of the canonical field the column is written from.
        var field: Int
        var kind: Kind
        /// Lists are joined into one JSON string with this (already JSON-safe) separator.
        var join: [UInt8]?
    }

    let fields: [[UInt8]]
    /// In output order: column names ascending, as CanonicalJSON writes objects.
    let columns: [Column]

    init?(_ mapping: Mapping) {
        guard mapping.directions.contains(.write) else { return nil }
        var fields: [[UInt8]] = []
        var columns: [(name: String, column: Column)] = []
        for rule in mapping.rules where rule.writes {
            guard let name = rule.column, rule.path == nil, rule.concat.isEmpty else {
                if rule.column == nil && rule.path == nil && rule.concat.isEmpty { continue }
                return nil
            }
            var elementType = rule.spec.type
            var isList = false
            if case .list(let inner) = rule.spec.type {
                elementType = inner
                isList = true
            }
            let translate = isList ? rule.eachTranslate : rule.translate
            let format = isList ? rule.eachFormat : rule.format
            let kind: Kind
            if let translate {
                guard let table = ByteTable(translate.table, column: translate.column) else { return nil }
                var fallback: [UInt8]?
                if case .fixed(let code) = translate.table.unmapped {
                    guard let text = translate.table.forward(code, to: translate.column), let bytes = Self.plainString(text) else { return nil }
                    fallback = bytes
                }
                kind = .translate(table, fallback: fallback, passthrough: translate.table.unmapped == .passthrough)
            } else if let format, elementType == .date || elementType == .timestamp {
                guard format.tokens.allSatisfy({ if case .literal(let text) = $0 { return Self.plainASCII(text) }; return true }) else { return nil }
                kind = elementType == .date ? .date(format) : .timestamp(format)
            } else {
                kind = .copy
            }
            var join: [UInt8]?
            if isList {
                guard let separator = Self.plainString(rule.join ?? ",") else { return nil }
                join = separator
            }
            var key: [UInt8] = []
            CanonicalJSON.write(.string(name), into: &key)
            key.append(UInt8(ascii: ":"))
            columns.append((name, Column(key: key, field: fields.count, kind: kind, join: join)))
            fields.append(Array(rule.field.utf8))
        }
        // A column two fields write is settled per record by the general path (Mapping.write).
        guard Set(columns.map(\.name)).count == columns.count else { return nil }
        self.fields = fields
        self.columns = columns.sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }.map(\.column)
    }

    /// ASCII text that needs no JSON escaping.
    static func plainASCII(_ text: String) -> Bool { text.utf8.allSatisfy { $0 < 0x80 } && plainString(text) != nil }

    /// Text that needs no JSON escaping, as bytes; nil otherwise.
    static func plainString(_ text: String) -> [UInt8]? {
        let bytes = Array(text.utf8)
        return bytes.allSatisfy { $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") } ? bytes : nil
    }

    /// Appends the system row for one canonical line, or returns false (and appends
    /// nothing) when the general path must take the line.
    func write(_ line: ArraySlice<UInt8>, into out: inout [UInt8]) -> Bool {
        var values = [FlatJSON.Token?](repeating: nil, count: fields.count)
        // A name seen twice (RFC 8259 §4), or one the general reader compares by Unicode
        // equivalence (non-ASCII), goes the general way, which refuses duplicates. Equal
        // hashes of different names only cost the general path.
        var seen: [Int] = []
        var general = false
        let ok = line.withUnsafeBufferPointer { buffer in
            FlatJSON.scan(buffer) { key, token in
                let hash = ByteTable.hash(key)
                if seen.contains(hash) || key.contains(where: { $0 >= 0x80 }) { general = true }
                seen.append(hash)
                for index in fields.indices where fields[index].count == key.count && fields[index].elementsEqual(key) {
                    values[index] = token
                    return
                }
            }
        }
        guard ok, !general else { return false }
        let mark = out.count
        out.append(UInt8(ascii: "{"))
        for (position, column) in columns.enumerated() {
            if position > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: column.key)
            guard let token = values[column.field], token.kind != .null else {
                out.append(contentsOf: FlatJSON.null)
                continue
            }
            let done = line.withUnsafeBufferPointer { buffer -> Bool in
                if let separator = column.join {
                    guard token.kind == .list else { return false }
                    out.append(UInt8(ascii: "\""))
                    for (index, element) in token.elements.enumerated() {
                        if index > 0 { out.append(contentsOf: separator) }
                        guard emit(UnsafeBufferPointer(rebasing: buffer[element]), kind: column.kind, quoted: false, into: &out) else { return false }
                    }
                    out.append(UInt8(ascii: "\""))
                    return true
                }
                switch token.kind {
                case .string:
                    return emit(UnsafeBufferPointer(rebasing: buffer[token.range]), kind: column.kind, quoted: true, into: &out)
                case .scalar:
                    guard case .copy = column.kind else { return false }
                    out.append(contentsOf: buffer[token.range])
                    return true
                default:
                    return false
                }
            }
            guard done else {
                out.removeSubrange(mark...)
                return false
            }
        }
        out.append(UInt8(ascii: "}"))
        return true
    }

    /// One string value (its bytes without quotes) converted per `kind`.
    private func emit(_ text: UnsafeBufferPointer<UInt8>, kind: Kind, quoted: Bool, into out: inout [UInt8]) -> Bool {
        if quoted { out.append(UInt8(ascii: "\"")) }
        switch kind {
        case .copy:
            out.append(contentsOf: text)
        case .translate(let table, let fallback, let passthrough):
            if let code = table[text] {
                out.append(contentsOf: code)
            } else if let fallback {
                out.append(contentsOf: fallback)
            } else if passthrough {
                out.append(contentsOf: text)
            } else {
                return false
            }
        case .date(let pattern):
            guard let parts = FlatJSON.isoDate(text) else { return false }
            pattern.format(parts, into: &out)
        case .timestamp(let pattern):
            guard let parts = FlatJSON.isoTimestamp(text), let local = pattern.fromUTC(parts) else { return false }
            pattern.format(local, into: &out)
        }
        if quoted { out.append(UInt8(ascii: "\"")) }
        return true
    }
}

/// Canonical code → a system's code, keyed by UTF-8 bytes: open addressing over FNV-1a.
final class ByteTable: @unchecked Sendable {
    // Sendable: filled once in init, read-only afterwards.
    private var keys: [[UInt8]?]
    private var values: [[UInt8]]
    private let mask: Int

    init?(_ table: CodeTable, column: String) {
        let codes = table.canonicalCodes.sorted()
        var size = 16
        while size < codes.count * 4 { size *= 2 }
        keys = Array(repeating: nil, count: size)
        values = Array(repeating: [], count: size)
        mask = size - 1
        for code in codes {
            guard let target = table.forward(code, to: column) else { continue }
            guard let bytes = CompiledWriter.plainString(target) else { return nil }
            let key = Array(code.utf8)
            var slot = Self.hash(key.withUnsafeBufferPointer { $0 }) & mask
            while keys[slot] != nil { slot = (slot + 1) & mask }
            keys[slot] = key
            values[slot] = bytes
        }
    }

    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return Int(truncatingIfNeeded: hash)
    }

    subscript(bytes: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var slot = Self.hash(bytes) & mask
        while let key = keys[slot] {
            if key.count == bytes.count, key.elementsEqual(bytes) { return values[slot] }
            slot = (slot + 1) & mask
        }
        return nil
    }
}

/// Just enough JSON for one flat object per line: string, scalar and list-of-string
/// members. Anything else (escapes, control characters, nesting, invalid UTF-8) stops the
/// scan so the general parser can handle it or say what is wrong.
enum FlatJSON {
    enum Kind: Equatable { case string, scalar, null, list }

    struct Token {
        var kind: Kind
        /// A string's bytes without quotes, or a scalar's token.
        var range: Range<Int>
        /// A list's string elements, without quotes.
        var elements: [Range<Int>] = []
    }

    static let null = Array("null".utf8)

    /// Calls `member` for each member of the one flat object in `bytes`, in order; false as
    /// soon as anything is not flat JSON (see the type), after which the caller falls back
    /// to the general parser. Runs once per line written, so the helpers it calls are
    /// inlined: they only name the steps, and the loop compiles to the same machine code as
    /// when it was one function (measured with callgrind: equal instruction counts).
    static func scan(_ bytes: UnsafeBufferPointer<UInt8>, _ member: (UnsafeBufferPointer<UInt8>, Token) -> Void) -> Bool {
        var i = 0
        let n = bytes.count
        skip(bytes, &i)
        guard i < n, bytes[i] == UInt8(ascii: "{") else { return false }
        i += 1
        skip(bytes, &i)
        if i < n, bytes[i] == UInt8(ascii: "}") { i += 1 } else {
            while true {
                skip(bytes, &i)
                guard let key = string(bytes, &i) else { return false }
                skip(bytes, &i)
                guard i < n, bytes[i] == UInt8(ascii: ":") else { return false }
                i += 1
                skip(bytes, &i)
                guard i < n else { return false }
                // The switch stays here rather than in a helper: the optimizer outlines such a
                // helper despite @inline(__always), which costs 3% more instructions a line.
                let token: Token
                switch bytes[i] {
                case UInt8(ascii: "\""):
                    guard let range = string(bytes, &i) else { return false }
                    token = Token(kind: .string, range: range)
                case UInt8(ascii: "["):
                    guard let elements = list(bytes, &i) else { return false }
                    token = Token(kind: .list, range: 0..<0, elements: elements)
                case UInt8(ascii: "{"):
                    return false  // nested: the general parser's
                default:
                    guard let scalar = scalar(bytes, &i) else { return false }
                    token = scalar
                }
                member(UnsafeBufferPointer(rebasing: bytes[key]), token)
                skip(bytes, &i)
                guard i < n else { return false }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                guard bytes[i] == UInt8(ascii: "}") else { return false }
                i += 1
                break
            }
        }
        skip(bytes, &i)
        return i == n
    }

    /// Moves i past spaces, tabs and carriage returns.
    @inline(__always)
    static func skip(_ bytes: UnsafeBufferPointer<UInt8>, _ i: inout Int) {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0D { i += 1 }
    }

    /// A string starting at the quote at i, without its quotes; leaves i after the closing
    /// quote. Nil for escapes, control characters and invalid UTF-8.
    @inline(__always)
    static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> Range<Int>? {
        let n = bytes.count
        guard i < n, bytes[i] == UInt8(ascii: "\"") else { return nil }
        i += 1
        let start = i
        var ascii = true
        while i < n {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\"") { break }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
            if byte >= 0x80 { ascii = false }
            i += 1
        }
        guard i < n else { return nil }
        let range = start..<i
        i += 1
        if !ascii && !validUTF8(UnsafeBufferPointer(rebasing: bytes[range])) { return nil }
        return range
    }

    /// A list of strings starting at the bracket at i; leaves i after the closing bracket.
    @inline(__always)
    static func list(_ bytes: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> [Range<Int>]? {
        let n = bytes.count
        i += 1
        var elements: [Range<Int>] = []
        skip(bytes, &i)
        if i < n, bytes[i] == UInt8(ascii: "]") { i += 1 } else {
            while true {
                skip(bytes, &i)
                guard let element = string(bytes, &i) else { return nil }
                elements.append(element)
                skip(bytes, &i)
                guard i < n else { return nil }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                guard bytes[i] == UInt8(ascii: "]") else { return nil }
                i += 1
                break
            }
        }
        return elements
    }

    /// null, true, false or a canonical number starting at i; leaves i after it.
    @inline(__always)
    static func scalar(_ bytes: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> Token? {
        let start = i
        while i < bytes.count, bytes[i] != UInt8(ascii: ","), bytes[i] != UInt8(ascii: "}"), bytes[i] != 0x20 { i += 1 }
        let word = UnsafeBufferPointer(rebasing: bytes[start..<i])
        if word.elementsEqual(null) {
            return Token(kind: .null, range: start..<i)
        } else if word.elementsEqual("true".utf8) || word.elementsEqual("false".utf8) || isNumber(word) {
            return Token(kind: .scalar, range: start..<i)
        }
        return nil
    }

    /// A JSON number in the canonical spelling CanonicalJSON writes back unchanged: an
    /// optional minus and digits without a leading zero. Anything fancier goes the general way.
    static func isNumber(_ word: UnsafeBufferPointer<UInt8>) -> Bool {
        var digits = word[...]
        let negative = digits.first == UInt8(ascii: "-")
        if negative { digits = digits.dropFirst() }
        guard let first = digits.first, (0x30...0x39).contains(first), digits.count <= 18 else { return false }
        // No leading zeros, and no -0 (which reads back as 0).
        if first == 0x30 && (digits.count > 1 || negative) { return false }
        return digits.allSatisfy { (0x30...0x39).contains($0) }
    }

    static func validUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    static func digits(_ bytes: UnsafeBufferPointer<UInt8>, _ at: Int, _ count: Int) -> Int? {
        var value = 0
        for index in at..<at + count {
            let byte = bytes[index]
            guard (0x30...0x39).contains(byte) else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    /// `YYYY-MM-DD`, checked as strictly as DatePattern.isoDate.
    static func isoDate(_ bytes: UnsafeBufferPointer<UInt8>) -> DatePattern.Parts? {
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            let year = digits(bytes, 0, 4), let month = digits(bytes, 5, 2), let day = digits(bytes, 8, 2),
            (1...12).contains(month), day >= 1, day <= DatePattern.daysIn(month: month, year: year)
        else { return nil }
        return DatePattern.Parts(year: year, month: month, day: day)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`.
    static func isoTimestamp(_ bytes: UnsafeBufferPointer<UInt8>) -> DatePattern.Parts? {
        guard bytes.count == 20, bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            bytes[19] == UInt8(ascii: "Z"), var parts = isoDate(UnsafeBufferPointer(rebasing: bytes[0..<10])),
            let hour = digits(bytes, 11, 2), let minute = digits(bytes, 14, 2), let second = digits(bytes, 17, 2),
            hour < 24, minute < 60, second < 60
        else { return nil }
        (parts.hour, parts.minute, parts.second) = (hour, minute, second)
        return parts
    }
}
