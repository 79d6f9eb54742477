/// Looks at what comes before an XML document's first element, for entity declarations.
///
/// Foundation's XMLParser on Linux passes no entity declaration to its delegate and drops the
/// text of an internal entity (`<!ENTITY i "INT">` … `a&i;b` reads as `ab`); a reference to
/// an external entity silently ends the text it is in. Ferry expands no DTD entity, so a
/// document that declares one is refused before it is parsed; references to undeclared
/// entities are refused by the parser itself. The five predefined entities and character
/// references are unaffected.
///
/// Fed the document's UTF-8 bytes block by block; keeps the prolog (at most `maxProlog`
/// bytes) until the first element starts.
struct XMLPrologScanner {
    enum Finding: Equatable {
        /// `<!ENTITY` at this line and column; `parameter` for `<!ENTITY %`.
        case entity(name: String, external: Bool, parameter: Bool, line: Int, column: Int)
        case prologTooLong
    }

    static let maxProlog = 1 << 20

    private(set) var finished = false
    private var prolog: [UInt8] = []
    /// Where the token being read starts; everything before it is scanned.
    private var cursor = 0

    /// Scans the next block; a finding stops the scan.
    mutating func feed(_ bytes: some Collection<UInt8>) -> Finding? {
        guard !finished else { return nil }
        prolog += bytes
        let result = scan()
        if finished { prolog = [] }
        if result == nil, !finished, prolog.count > Self.maxProlog {
            finished = true
            return .prologTooLong
        }
        return result
    }

    /// Ends the scan: the document ended before its first element (the parser says so).
    mutating func finish() { finished = true }

    private mutating func scan() -> Finding? {
        while cursor < prolog.count {
            guard prolog[cursor] == UInt8(ascii: "<") else {
                cursor += 1  // whitespace (anything else the parser refuses)
                continue
            }
            guard cursor + 1 < prolog.count else { return nil }
            let token: Token
            if prolog[cursor + 1] == UInt8(ascii: "?") {
                token = skip(past: "?>", from: cursor + 2)
            } else if has("<!--", at: cursor) {
                token = skip(past: "-->", from: cursor + 4)
            } else if has("<!DOCTYPE", at: cursor) {
                token = doctype(from: cursor + 9)
            } else if prolog[cursor + 1] == UInt8(ascii: "!") && prolog.count - cursor < 9 {
                return nil  // `<!DOCTYPE` or `<!--` may still be arriving
            } else {
                finished = true  // the document element starts (or something the parser refuses)
                return nil
            }
            switch token {
            case .more: return nil
            case .end(let next): cursor = next
            case .found(let finding): return finding
            }
        }
        return nil
    }

    private enum Token {
        case more
        case end(Int)
        case found(Finding)
    }

    private func has(_ text: String, at index: Int) -> Bool {
        let bytes = Array(text.utf8)
        return index + bytes.count <= prolog.count && prolog[index..<(index + bytes.count)].elementsEqual(bytes)
    }

    private func skip(past end: String, from start: Int) -> Token {
        var index = start
        while index < prolog.count {
            if has(end, at: index) { return .end(index + end.utf8.count) }
            index += 1
        }
        return .more
    }

    /// The DOCTYPE declaration: quoted literals, comments and an internal subset in `[…]`.
    private func doctype(from start: Int) -> Token {
        var index = start
        var inSubset = false
        while index < prolog.count {
            let byte = prolog[index]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                guard let close = prolog[(index + 1)...].firstIndex(of: byte) else { return .more }
                index = close + 1
            } else if inSubset && has("<!--", at: index) {
                guard case .end(let next) = skip(past: "-->", from: index + 4) else { return .more }
                index = next
            } else if inSubset && has("<?", at: index) {
                guard case .end(let next) = skip(past: "?>", from: index + 2) else { return .more }
                index = next
            } else if inSubset && has("<!ENTITY", at: index) {
                guard let finding = entity(at: index) else { return .more }
                return .found(finding)
            } else if byte == UInt8(ascii: "[") {
                inSubset = true
                index += 1
            } else if byte == UInt8(ascii: "]") {
                inSubset = false
                index += 1
            } else if byte == UInt8(ascii: ">") && !inSubset {
                return .end(index + 1)
            } else {
                index += 1
            }
        }
        return .more
    }

    /// `<!ENTITY [%] name ("value" | SYSTEM … | PUBLIC …)`; nil until enough is read.
    private func entity(at start: Int) -> Finding? {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        var index = start + 8
        func skipSpace() { while index < prolog.count, isSpace(prolog[index]) { index += 1 } }
        skipSpace()
        var parameter = false
        if index < prolog.count, prolog[index] == UInt8(ascii: "%") {
            parameter = true
            index += 1
            skipSpace()
        }
        let nameStart = index
        while index < prolog.count, !isSpace(prolog[index]), prolog[index] != UInt8(ascii: ">") { index += 1 }
        let name = String(decoding: prolog[nameStart..<index].prefix(64), as: UTF8.self)
        skipSpace()
        guard index < prolog.count else { return nil }
        let external = prolog[index] != UInt8(ascii: "\"") && prolog[index] != UInt8(ascii: "'")
        let (line, column) = place(of: start)
        return .entity(name: name, external: external, parameter: parameter, line: line, column: column)
    }

    /// Line and column (in characters) of a byte offset.
    private func place(of offset: Int) -> (Int, Int) {
        var (line, column) = (1, 1)
        for byte in prolog[..<offset] {
            if byte == 0x0A {
                (line, column) = (line + 1, 1)
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return (line, column)
    }
}
