import Foundation
import FoundationXML
import FerryTestHTML
import Testing
import FerryCore

/// Escaping decides on bytes, never on grapheme clusters (issue 16): every escaped text,
/// however hostile, parses back with a real HTML parser (libxml2's `htmlReadMemory`)
/// and a real XML parser to the same text, with no element or attribute added.
@Suite struct HostileTextEscapingTests {
    /// 2,000 generated texts plus the payload, each placed as element text and as a
    /// quoted attribute value.
    static var texts: [String] {
        var generator = HostileText(seed: 16)
        return [HostileText.clusterPayload, "\u{600}<b>x</b>\u{301}", "\"\u{301} onmouseover=x \u{600}'"]
            + (0..<2000).map { _ in generator.next() }
    }

    @Test func escapedTextParsesBackAsHTMLToTheSameTextAndNoMarkup() throws {
        for text in Self.texts {
            let escaped = Markup.escape(text)
            let page = "<!doctype html><html><body><p title=\"\(escaped)\">\(escaped)</p></body></html>"
            let tree = try HTMLTree(page)
            #expect(tree.elements.map(\.name) == ["html", "body", "p"], "markup injected by \(Self.show(text))")
            let p = try #require(tree.elements.last)
            #expect(p.attributes == ["title": text], "attribute injected or changed by \(Self.show(text))")
            #expect(p.text == text, "text changed: \(Self.show(text))")
        }
    }

    /// The parser is a real HTML parser: unescaped, the payload is an element.
    @Test func theParserSeesTheMarkupThatGraphemeComparisonMisses() throws {
        let tree = try HTMLTree("<!doctype html><html><body><p>\(HostileText.clusterPayload)</p></body></html>")
        #expect(tree.all("img").first?.attributes["onerror"] == "alert(1)")
    }

    @Test func escapedTextParsesBackAsXMLToTheSameTextAndNoMarkup() throws {
        for text in Self.texts {
            let escaped = Markup.escape(text)
            let document = "<r><p a=\"\(escaped)\">\(escaped)</p></r>"
            let parsed = try ParsedXML(Data(document.utf8))
            #expect(parsed.elements == ["r", "p"], "markup injected by \(Self.show(text))")
            #expect(parsed.attributes == [[:], ["a": text]], "attribute changed by \(Self.show(text))")
            #expect(parsed.text == text, "text changed: \(Self.show(text))")
        }
    }

    @Test func replacingFindsQuotesGluedToMarks() {
        // Literals live outside #expect: swift-testing's macro re-spells a string literal
        // whose quote is followed by a combining mark and breaks on it (the same kind).
        let glued = "a\"\u{301}b", doubled = "a\"\"\u{301}b"
        #expect(glued.replacingUTF8("\"", with: "\"\"") == doubled)
        let secret = "\u{600}secret!", hidden = "\u{600}***!"
        #expect(secret.replacingUTF8("secret", with: "***") == hidden)
        // Foundation's cluster-wise replace misses it, which is why it is not used for quoting.
        #expect(glued.replacingOccurrences(of: "\"", with: "\"\"") == glued)
    }

    @Test func csvCellsHoldingSeparatorsGluedToMarksAreQuoted() {
        let comma = ",\u{301}", quote = "\"\u{301}"
        let commaLine = Array("\",\u{301}\",x\r\n".utf8), quoteLine = Array("\"\"\"\u{301}\"\r\n".utf8)
        #expect(CSVLine.encode([comma, "x"]) == commaLine)
        #expect(CSVLine.encode([quote]) == quoteLine)
        #expect(CSVLine.encode([nil, ""]) == Array(",\"\"\r\n".utf8))
    }

    @Test func masksShowAtMostTenScalarsHoweverTheTextIsClustered() {
        var generator = HostileText(seed: 1)
        for _ in 0..<2000 {
            let text = generator.next(pieces: 30)
            let masked = Masking.mask(text)
            #expect(masked.unicodeScalars.count == text.unicodeScalars.count)
            #expect(masked.unicodeScalars.filter { $0 != "*" }.count <= 10, "\(Self.show(text))")
        }
        #expect(Masking.mask("350503198809141506") == "350503********1506")
        // A digit carrying 50 combining marks is 51 scalars: shown as stars, not as "one character".
        let marked = Masking.mask("1" + String(repeating: "\u{301}", count: 50) + "23456789")
        let shown = "1" + String(repeating: "\u{301}", count: 5) + "*"
        #expect(marked.hasPrefix(shown))
    }

    @Test func terminalTextLeavesNoControlOrBidiScalar() {
        var generator = HostileText(seed: 2)
        for _ in 0..<2000 {
            let inert = TerminalText.inert(generator.next() + "\u{1B}[2J\u{9B}")
            let bidi: Set<UInt32> = [0x061C, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069]
            let active = inert.unicodeScalars.filter { ($0.value < 0x20 && $0 != "\t") || (0x7F..<0xA0).contains($0.value) || bidi.contains($0.value) }
            #expect(active.isEmpty)
        }
        #expect(TerminalText.inert("a\nb\u{202E}c") == "a\\u{A}b\\u{202E}c")
    }

    static func show(_ text: String) -> String { text.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 ? String($0) : "U+\(String($0.value, radix: 16))" }.joined() }
}

/// What Foundation's XMLParser (libxml2) saw: element names, attributes, and the text.
final class ParsedXML: NSObject, XMLParserDelegate {
    var elements: [String] = []
    var attributes: [[String: String]] = []
    var text = ""

    init(_ data: Data) throws {
        super.init()
        let parser = XMLParser(data: data)
        parser.delegate = self
        guard parser.parse() else { throw parser.parserError ?? CocoaError(.coderReadCorrupt) }
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String]) {
        elements.append(name)
        self.attributes.append(attributes)
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
}
