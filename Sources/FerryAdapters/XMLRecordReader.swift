import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import FerryCore

/// Records from an XML file of repeated elements (`<Record>…</Record>`), as older
/// provincial and national systems export them. Child elements become fields (a child with
/// children of its own becomes an object, repeated children a list) and so do the record
/// element's attributes.
///
/// Foundation's XMLParser pushes the whole document in one call, so it runs on a thread of
/// its own and hands records over through a small bounded queue: memory stays flat however
/// large the file, and a parse error arrives with its line and column.
final class XMLRecordReader: NSObject, XMLParserDelegate, @unchecked Sendable {
    // Sendable: the parser thread and the reading thread meet only under `lock`.
    private let url: URL
    private let recordElement: String
    private let lock = NSCondition()
    private var queue: [([String: Value], Int)] = []
    private var finished = false
    private var failure: FerryError?
    private var cancelled = false
    private static let capacity = 256

    // Parser-thread state.
    private var stack: [(name: String, attributes: [String: Value], children: [(String, Value)], text: String)] = []
    private var recordLine = 0
    private weak var parser: XMLParser?

    init(url: URL, recordElement: String) throws {
        self.url = url
        self.recordElement = recordElement
        super.init()
        guard FileManager.default.isReadableFile(atPath: url.path) else {
            throw FerryError.adapter(.retryable, "cannot open \(url.path)", hint: "check the folder's permissions")
        }
        let thread = Thread { [self] in
            // The stream is made here so that it belongs to the parser thread alone.
            let parser = XMLParser(stream: InputStream(url: url) ?? InputStream(data: Data()))
            parser.shouldProcessNamespaces = false
            parser.shouldResolveExternalEntities = false  // no XXE: external entities are never fetched
            parser.delegate = self
            self.parser = parser
            let ok = parser.parse()
            lock.lock()
            if !ok, failure == nil, !cancelled {
                let error = parser.parserError.map { "\($0.localizedDescription)" } ?? "malformed XML"
                failure = FerryError.adapter(.permanent, "not well-formed XML: \(error)",
                    at: SourceLocation(file: url.path, line: parser.lineNumber, column: parser.columnNumber),
                    hint: "fix the file (an unclosed element, a bad character or encoding), then drop it again")
            }
            finished = true
            lock.broadcast()
            lock.unlock()
        }
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

    // MARK: XMLParserDelegate (parser thread)

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        if stack.isEmpty && name != recordElement {
            return  // the document element and anything around the records
        }
        if stack.isEmpty { recordLine = parser.lineNumber }
        stack.append((name, attributes.mapValues(Value.string), [], ""))
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard !stack.isEmpty else { return }
        stack[stack.count - 1].text += string
    }

    func parser(_ parser: XMLParser, foundCDATA block: Data) {
        guard !stack.isEmpty else { return }
        stack[stack.count - 1].text += String(decoding: block, as: UTF8.self)
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        guard let element = stack.popLast() else { return }
        let value = Self.value(element)
        if stack.isEmpty {
            guard case .object(let row) = value else { return }
            lock.lock()
            while queue.count >= Self.capacity && !cancelled { lock.wait() }
            if cancelled {
                lock.unlock()
                parser.abortParsing()
                return
            }
            queue.append((row, recordLine))
            lock.broadcast()
            lock.unlock()
        } else {
            stack[stack.count - 1].children.append((element.name, value))
        }
    }

    /// An element with children or attributes is an object; a leaf is its trimmed text
    /// (empty: null). Repeated child names gather into a list.
    static func value(_ element: (name: String, attributes: [String: Value], children: [(String, Value)], text: String)) -> Value {
        if element.children.isEmpty && element.attributes.isEmpty {
            let text = element.text.trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? .null : .string(text)
        }
        var members = element.attributes
        for (name, value) in element.children {
            switch members[name] {
            case nil: members[name] = value
            case .list(let items)?: members[name] = .list(items + [value])
            case let existing?: members[name] = .list([existing, value])
            }
        }
        return .object(members)
    }

    /// One record as XML, for writing: `<record><column>text</column>…</record>`.
    static func element(_ name: String, _ values: [String: Value], indent: String) -> String {
        var out = "\(indent)<\(name)>\n"
        for column in values.keys.sorted() {
            guard let value = values[column], !value.isNull else {
                out += "\(indent)  <\(column)/>\n"
                continue
            }
            out += "\(indent)  <\(column)>\(escape(value.text ?? String(decoding: CanonicalJSON.encode(value), as: UTF8.self)))</\(column)>\n"
        }
        return out + "\(indent)</\(name)>\n"
    }

    static func escape(_ text: String) -> String { Markup.escape(text) }

    /// XML 1.0 names, the common ASCII subset plus CJK letters: what a column can be called.
    static func isName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.properties.isAlphabetic || first == "_" else { return false }
        return name.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || "_-.".unicodeScalars.contains($0) }
            && !name.lowercased().hasPrefix("xml")
    }
}
