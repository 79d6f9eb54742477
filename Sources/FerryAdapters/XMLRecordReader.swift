import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import FerryCore

/// Records from an XML file of repeated elements (`<Record>…</Record>`), as older
/// provincial and national systems export them; `XMLElementBuilder` says how elements
/// become fields.
///
/// A document is read only when all of it is well formed, so nothing of a broken file is
/// ever handed on: a first pass parses the whole file and keeps nothing (memory stays flat),
/// checking that it is well formed, nests at most `maxDepth` deep, declares no entities
/// and holds at least one record; only then does a second pass read the records. Both run
/// on a thread of their own, since XMLParser pushes the whole document in one call; the
/// second hands records over through a small bounded queue. A refused file throws from
/// `next()` before any record, with its line, column and what was wrong in words.
///
/// `record` matches an element's qualified name when it has a prefix (`gx:Record`), and
/// its local name whatever the prefix when it has none (`Record`).
final class XMLRecordReader: NSObject, XMLParserDelegate, @unchecked Sendable {
    // Sendable: the parser thread and the reading thread meet only under `lock`.
    static let maxDepth = 256
    private static let capacity = 256

    private let url: URL
    private let recordElement: String
    private let encoding: TextEncoding
    private let lock = NSCondition()
    private var queue: [([String: Value], Int)] = []
    private var finished = false
    private var failure: FerryError?
    private var cancelled = false

    // Parser-thread state, reset for each pass.
    private var emitting = false
    private var open: [(name: String, line: Int)] = []
    private var recordDepth: Int?
    private var recordLine = 0
    private var builders: [XMLElementBuilder] = []
    private var records = 0
    private var otherElements: [String] = []
    private var parseError: FerryError?
    private var unresolvedEntity: String?

    init(url: URL, recordElement: String, encoding: TextEncoding = .utf8) throws {
        self.url = url
        self.recordElement = recordElement
        self.encoding = encoding
        super.init()
        guard FileManager.default.isReadableFile(atPath: url.path) else {
            throw FerryError.adapter(.retryable, "cannot open \(url.path)", hint: "check the folder's permissions")
        }
        let thread = Thread { [self] in
            var refusal = pass(emitting: false)
            if refusal == nil, records == 0, !isCancelled { refusal = noRecords() }
            if refusal == nil, !isCancelled { refusal = pass(emitting: true) }
            lock.lock()
            if failure == nil, !cancelled { failure = refusal }
            finished = true
            lock.broadcast()
            lock.unlock()
        }
        // A parser that is never more than `maxDepth` deep needs little stack.
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// The next record and the line it starts on; nil at the end.
    func next() throws -> (row: [String: Value], line: Int)? {
        lock.lock()
        defer { lock.unlock() }
        while queue.isEmpty && !finished && failure == nil { lock.wait() }
        if !queue.isEmpty {
            let record = queue.removeFirst()
            lock.broadcast()
            return record
        }
        if let failure { throw failure }
        return nil
    }

    /// Stops the parser thread (it may be waiting for room in the queue).
    func close() {
        lock.lock()
        cancelled = true
        queue.removeAll()
        lock.broadcast()
        lock.unlock()
    }

    private var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelled
    }

    // MARK: passes (parser thread)

    /// Parses the whole file once; the reason it was refused, or nil.
    private func pass(emitting: Bool) -> FerryError? {
        (self.emitting, open, recordDepth, builders, records, otherElements, parseError, unresolvedEntity) =
            (emitting, [], nil, [], 0, [], nil, nil)
        let stream: XMLDocumentStream
        do { stream = try XMLDocumentStream(url: url, encoding: encoding) } catch let error as FerryError {
            return error
        } catch {
            return FerryError.adapter(.retryable, "cannot open \(url.path)", hint: "check the folder's permissions")
        }
        let parser = XMLParser(stream: stream)
        parser.shouldProcessNamespaces = false
        parser.shouldResolveExternalEntities = false  // no XXE: external entities are never fetched
        parser.delegate = self
        let ok = parser.parse()
        if isCancelled { return nil }
        if let failure = stream.failure ?? parseError { return failure }
        guard ok else {
            let code = (parser.parserError as NSError?)?.code ?? 0
            return located(code, line: parser.lineNumber, column: parser.columnNumber)
        }
        return nil
    }

    private func located(_ code: Int, line: Int, column: Int) -> FerryError {
        var what = XMLParserErrorText.describe(code, entity: unresolvedEntity)
        if code == 76, let innermost = open.last {
            what += " (the element open there is <\(innermost.name)>, from line \(innermost.line))"
        }
        if code == 5 || code == 77 {
            // libxml2 says "document end" both for a file cut off and for content after the end.
            if let depth = recordDepth, depth >= 1, depth <= open.count, let innermost = open.last {
                let record = open[depth - 1]
                what = "the file ends inside <\(record.name)> opened at line \(record.line) (at <\(innermost.name)>): it was cut off"
            } else if let outermost = open.first {
                what = "the file ends before <\(outermost.name)> opened at line \(outermost.line) is closed: it was cut off, or its closing tag is missing"
            } else if code == 5 {
                what = XMLParserErrorText.describe(86)
            }
        }
        return FerryError.adapter(.permanent, "not well-formed XML: \(what)", at: SourceLocation(file: url.path, line: line, column: column),
            hint: "nothing of this file was read; fix it (or export it again) and drop it again")
    }

    private func noRecords() -> FerryError {
        let found = otherElements.isEmpty ? "no elements at all" : "only " + otherElements.map { "<\($0)>" }.joined(separator: ", ")
        return FerryError.adapter(.permanent, "no <\(recordElement)> elements in the file; it holds \(found)",
            at: SourceLocation(file: url.path, line: 1, column: 1),
            hint: "set record: to the element each record is (gx:Record matches that prefix exactly, Record any prefix); the file stays until then")
    }

    private func matches(_ name: String) -> Bool {
        recordElement.contains(":") ? name == recordElement : XMLElementBuilder.localName(name) == recordElement
    }

    private func stop(_ parser: XMLParser, _ error: FerryError) {
        if parseError == nil { parseError = error }
        parser.abortParsing()
    }

    // MARK: XMLParserDelegate (parser thread)

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        guard parseError == nil else { return }
        if open.count >= Self.maxDepth {
            return stop(parser, FerryError.adapter(.permanent, "elements nested more than \(Self.maxDepth) deep",
                at: SourceLocation(file: url.path, line: parser.lineNumber, column: parser.columnNumber),
                hint: "records of an exported file are a few levels deep; this file is not an export Ferry can read"))
        }
        open.append((name, parser.lineNumber))
        if recordDepth == nil {
            guard matches(name) else {
                if otherElements.count < 12, !otherElements.contains(name) { otherElements.append(name) }
                return
            }
            (recordDepth, recordLine) = (open.count, parser.lineNumber)
            records += 1
        }
        if emitting { builders.append(XMLElementBuilder(qualifiedName: name, attributes: attributes)) }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard emitting, !builders.isEmpty else { return }
        builders[builders.count - 1].text += string
    }

    func parser(_ parser: XMLParser, foundCDATA block: Data) {
        guard emitting, !builders.isEmpty else { return }
        builders[builders.count - 1].text += String(decoding: block, as: UTF8.self)
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        guard parseError == nil, open.popLast() != nil, let depth = recordDepth else { return }
        guard open.count < depth else {
            // An element inside the record ends.
            if emitting, let element = builders.popLast(), !builders.isEmpty {
                builders[builders.count - 1].children.append((element.name, element.value, element.attributes))
            }
            return
        }
        recordDepth = nil
        guard emitting, let record = builders.popLast() else {
            if isCancelled { parser.abortParsing() }
            return
        }
        builders.removeAll()
        lock.lock()
        while queue.count >= Self.capacity && !cancelled { lock.wait() }
        if cancelled {
            lock.unlock()
            parser.abortParsing()
            return
        }
        queue.append((record.row, recordLine))
        lock.broadcast()
        lock.unlock()
    }

    func parser(_ parser: XMLParser, resolveExternalEntityName name: String, systemID: String?) -> Data? {
        if unresolvedEntity == nil { unresolvedEntity = name }
        return nil
    }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
        let code = (parseError as NSError).code
        guard !XMLParserErrorText.harmless.contains(code), self.parseError == nil else { return }
        // XMLParser recovers and reads on after an error; Ferry takes nothing from a broken file.
        stop(parser, located(code, line: parser.lineNumber, column: parser.columnNumber))
    }

    // MARK: writing

    /// One record as XML, for writing: `<record><column>text</column>…</record>`, the reader's
    /// rules backwards: a column `X@a` is attribute `a` of element `X`; null is an empty
    /// element (or an absent attribute); a list or object is its JSON text. A CR is written
    /// as `&#13;` (and in attributes LF and TAB too), since XML parsers normalise them.
    /// nil when a value holds a character XML 1.0 cannot carry (most C0 controls).
    static func element(_ name: String, _ values: [String: Value], indent: String) -> String? {
        var attributes: [String: [(name: String, text: String)]] = [:]
        var elements = Set<String>()
        for (column, value) in values {
            guard let at = column.firstIndex(of: "@") else {
                elements.insert(column)
                continue
            }
            let element = String(column[..<at])
            elements.insert(element)
            if let text = FolderAdapter.cellText(value) {
                attributes[element, default: []].append((String(column[column.index(after: at)...]), text))
            }
        }
        var out = "\(indent)<\(XMLElementBuilder.localName(name))>\n"
        for column in elements.sorted() {
            var tag = column
            for attribute in (attributes[column] ?? []).sorted(by: { $0.name < $1.name }) {
                guard let text = escape(attribute.text, attribute: true) else { return nil }
                tag += " \(attribute.name)=\"\(text)\""
            }
            // Null is an absent element; the empty string an empty one (XML has no null).
            guard let text = values[column].flatMap(FolderAdapter.cellText) else {
                if tag != column { out += "\(indent)  <\(tag)/>\n" }
                continue
            }
            guard let escaped = escape(text, attribute: false) else { return nil }
            out += "\(indent)  <\(tag)>\(escaped)</\(column)>\n"
        }
        return out + "\(indent)</\(XMLElementBuilder.localName(name))>\n"
    }

    /// Text as XML character data; nil when it holds a character XML 1.0 does not allow
    /// (its Char production: TAB, LF, CR and from U+0020 on, less U+FFFE and U+FFFF).
    static func escape(_ text: String, attribute: Bool) -> String? {
        guard !text.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\t" && $0 != "\n" && $0 != "\r") || $0.value == 0xFFFE || $0.value == 0xFFFF })
        else { return nil }
        return Markup.escape(text, keepingTabsAndLineFeeds: !attribute)
    }

    /// A column name the writer can use: an element name, or `element@attribute`.
    static func isColumn(_ name: String) -> Bool {
        let parts = name.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count <= 2 && parts.allSatisfy { isName(String($0)) }
    }

    /// `name` or `prefix:name`: what `record:` may be.
    static func isQualifiedName(_ name: String) -> Bool {
        let parts = name.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count <= 2 && parts.allSatisfy { isName(String($0)) }
    }

    /// XML 1.0 names, the common ASCII subset plus CJK letters: what a column can be called.
    static func isName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.properties.isAlphabetic || first == "_" else { return false }
        return name.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || "_-.".unicodeScalars.contains($0) }
            && !name.lowercased().hasPrefix("xml")
    }
}
