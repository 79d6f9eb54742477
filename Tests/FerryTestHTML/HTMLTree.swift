import CFerryLibXML2

/// A page as libxml2's HTML parser reads it (`htmlReadMemory`, recovering from errors as
/// browsers do): every element with its attributes and text. For tests that must show
/// that no hostile value added an element or an attribute.
public struct HTMLTree: Sendable {
    public struct Element: Sendable {
        public var name: String
        public var attributes: [String: String]
        /// All text inside the element, descendants included, entities decoded.
        public var text: String
    }

    /// Every element in document order.
    public var elements: [Element] = []

    /// - Throws: `HTMLTree.Failure` when libxml2 returns no document at all.
    public init(_ html: String) throws {
        let bytes = Array(html.utf8)
        let options = Int32(HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NOERROR.rawValue | HTML_PARSE_NOWARNING.rawValue | HTML_PARSE_NONET.rawValue)
        let parsed = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { htmlReadMemory($0, Int32(buffer.count), "page.html", "UTF-8", options) }
        }
        guard let document = parsed else { throw Failure() }
        defer { xmlFreeDoc(document) }
        walk(xmlDocGetRootElement(document))
    }

    public struct Failure: Error {}

    public func all(_ name: String) -> [Element] { elements.filter { $0.name == name } }

    private mutating func walk(_ node: xmlNodePtr?) {
        var node = node
        while let current = node {
            if current.pointee.type == XML_ELEMENT_NODE {
                var attributes: [String: String] = [:]
                var attribute = current.pointee.properties
                while let a = attribute {
                    let name = Self.string(a.pointee.name)
                    attributes[name] = Self.owned(xmlGetProp(current, a.pointee.name))
                    attribute = a.pointee.next
                }
                elements.append(Element(name: Self.string(current.pointee.name), attributes: attributes, text: Self.owned(xmlNodeGetContent(current))))
                walk(current.pointee.children)
            }
            node = current.pointee.next
        }
    }

    static func string(_ text: UnsafePointer<xmlChar>?) -> String {
        guard let text else { return "" }
        return String(cString: text)
    }

    /// Text libxml2 allocated for the caller, freed here.
    static func owned(_ text: UnsafeMutablePointer<xmlChar>?) -> String {
        guard let text else { return "" }
        defer { cferry_xml_free(text) }
        return String(cString: text)
    }
}
