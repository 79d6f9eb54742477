/// What an XMLParser error code means, in words. Foundation's XMLParser on Linux reports
/// libxml2's error numbers (the `xmlParserErrors` enumeration of libxml2's `xmlerror.h`,
/// which Apple's `XMLParser.ErrorCode` mirrors) with no text, so "error 76" would be all a
/// user saw.
enum XMLParserErrorText {
    /// libxml2 warnings that change nothing Ferry reads: an unknown `version`, an
    /// `xml:lang` or `xml:space` value, a relative namespace URI, a catalog PI.
    static let harmless: Set<Int> = [93, 97, 98, 99, 100, 102, 106]

    /// The meaning of `code`; `entity` names the entity a reference error is about.
    static func describe(_ code: Int, entity: String? = nil) -> String {
        if let text = messages[code] { return text }
        switch code {
        case 26, 27:
            let name = entity.map { "&\($0);" } ?? "an entity"
            return "\(name) is not declared (Ferry reads no external DTD and expands only the five predefined entities)"
        case 6, 7, 8: return "a character reference (&#…;) that names no valid character"
        case 10...17: return "an entity or character reference where none may be (outside the document element, or in the DTD)"
        case 200...299: return "a namespace error (code \(code)): a prefix used without its xmlns declaration, or a malformed qualified name"
        default: return "libxml2 error \(code)"
        }
    }

    private static let messages: [Int: String] = [
        1: "the parser gave up (an internal error; often a document nested too deep)",
        2: "the parser ran out of memory",
        3: "no document element: the file does not start with '<' after its declaration",
        4: "the document is empty",
        5: "the document ends where it cannot: an element is not closed, or something follows the document element",
        9: "a character XML does not allow, or bytes that are not valid in the document's encoding",
        22: "an '&' that starts no entity or character reference (write &amp; for a literal ampersand)",
        23: "an entity reference without its closing ';'",
        28: "a reference to an unparsed entity",
        29: "a reference to an external entity",
        31: "the encoding the XML declaration names is unknown",
        32: "the encoding the XML declaration names is not supported",
        33: "an attribute value without quotes",
        34: "an attribute value whose quote never closes",
        35: "a malformed namespace declaration",
        37: "an entity value that is not finished",
        38: "a '<' inside an attribute value (write &lt;)",
        39: "an attribute without a quoted value",
        40: "an attribute value that is not finished",
        41: "an attribute without a value",
        42: "the same attribute twice on one element",
        43: "a quoted literal that does not start",
        44: "a quoted literal that is not finished",
        45: "a comment that is not finished ('<!--' without '-->')",
        46: "a processing instruction without a target",
        47: "a processing instruction that is not finished ('<?' without '?>')",
        56: "a malformed XML declaration",
        57: "an XML declaration that is not finished",
        61: "a DOCTYPE declaration that is not finished",
        63: "a CDATA section that is not finished ('<![CDATA[' without ']]>')",
        64: "a name starting with 'xml', which XML reserves",
        65: "a space is missing between two parts of a tag or declaration",
        68: "a name was expected: an element or attribute name is missing, or an '&' starts no entity reference (write &amp; for a literal ampersand)",
        73: "a tag that is not closed with '>'",
        74: "a closing tag ('</') was expected",
        76: "a closing tag does not match the element it closes",
        77: "the file ends inside a tag or before an element is closed",
        81: "bytes that are not valid in the document's encoding",
        85: "the document's elements are not balanced",
        86: "content after the end of the document element",
        89: "an entity that refers to itself, or entities that expand too far (an entity loop)",
        96: "the XML declaration has no version",
        104: "an entity that cannot be processed",
        108: "an unsupported XML version",
        109: "the XML version does not match",
        110: "a name longer than libxml2 allows",
        111: "reading was stopped",
    ]
}
