import Foundation
import FerryCore

/// One element of a record being read, and the value it becomes.
///
/// The rules, applied at every level below the record element:
/// * a child without children is its text, exactly: `<F></F>` and `<F/>` are the empty
///   string; a field whose element is absent is null (what the writer does with null);
/// * a child with children is an object of its own children;
/// * a child's attributes sit beside it as `name@attribute` (`<JE bz="CNY">1280.50</JE>`
///   gives `JE` = "1280.50" and `JE@bz` = "CNY");
/// * repeated children gather into a list, and so do their attributes, one item per child
///   (null where a child lacks the attribute), so items stay aligned;
/// * text beside child elements (mixed content) is kept as `#text`.
///
/// The record element's own attributes are fields named as they are (`@name` if a child has
/// that name too). Names are local: a prefix (`gx:`) is dropped, and `xmlns` declarations
/// are not data.
struct XMLElementBuilder {
    var name: String
    var attributes: [(name: String, value: String)]
    var children: [(name: String, value: Value, attributes: [(name: String, value: String)])] = []
    var text = ""

    init(qualifiedName: String, attributes: [String: String]) {
        name = Self.localName(qualifiedName)
        self.attributes = attributes.filter { $0.key != "xmlns" && !$0.key.hasPrefix("xmlns:") }
            .map { (Self.localName($0.key), $0.value) }.sorted { $0.name < $1.name }
    }

    /// The part of a qualified name after its prefix.
    static func localName(_ name: String) -> String {
        guard let colon = name.lastIndex(of: ":") else { return name }
        return String(name[name.index(after: colon)...])
    }

    /// Whether the text is only the indentation around child elements, or nothing.
    private var isBlank: Bool { text.unicodeScalars.allSatisfy { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" } }

    /// What the element is inside its parent.
    var value: Value {
        guard children.isEmpty else { return .object(members()) }
        return .string(text)
    }

    /// The record this element is: its children, its own attributes, and its text.
    var row: [String: Value] {
        var row = members()
        if children.isEmpty, !isBlank { row["#text"] = .string(text) }
        for (name, value) in attributes {
            row[row[name] == nil ? name : "@" + name] = .string(value)
        }
        return row
    }

    private func members() -> [String: Value] {
        var members: [String: Value] = [:]
        var order: [String] = []
        var groups: [String: [Int]] = [:]
        for (index, child) in children.enumerated() {
            if groups[child.name] == nil { order.append(child.name) }
            groups[child.name, default: []].append(index)
        }
        for name in order {
            let indices = groups[name] ?? []
            if indices.count == 1, let only = indices.first {
                members[name] = children[only].value
                for attribute in children[only].attributes { members["\(name)@\(attribute.name)"] = .string(attribute.value) }
                continue
            }
            members[name] = .list(indices.map { children[$0].value })
            let attributeNames = Set(indices.flatMap { children[$0].attributes.map(\.name) })
            for attribute in attributeNames {
                members["\(name)@\(attribute)"] = .list(indices.map { index in
                    children[index].attributes.first { $0.name == attribute }.map { .string($0.value) } ?? .null
                })
            }
        }
        if !children.isEmpty, !isBlank { members["#text"] = .string(text.trimmingCharacters(in: .whitespacesAndNewlines)) }
        return members
    }
}
