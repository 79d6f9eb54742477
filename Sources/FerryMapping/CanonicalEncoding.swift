public import FerryCore
import Foundation

/// The canonical byte encoding of a mapped record, which record digests are taken over
/// (`docs/canonical-encoding.md`). Typed and length-prefixed, so no two different records
/// encode alike whatever their text holds; every declared field appears, absent ones as an
/// explicit null, so "missing" and "empty" differ; strings are NFC, timestamps UTC
/// microseconds, decimals plain text. Its bytes must never change between versions: golden
/// digests in the tests hold it still.
public enum CanonicalEncoding {
    public static let magic: [UInt8] = Array("FERRY-REC-V1".utf8)

    enum Tag: UInt8 {
        case null = 0, bool = 1, int = 2, decimal = 3, string = 4, date = 5, timestamp = 6, list = 7, object = 8, bytes = 9, document = 10
    }

    /// Encodes `record` as `schema` types it, leaving out `excluding` (fields marked
    /// `compare: ignore` when the encoding is for reconciliation).
    public static func encode(_ record: Record, schema: EntitySchema, excluding: Set<String> = []) -> [UInt8] {
        encode(record, fields: excluding.isEmpty ? schema.layout.all : schema.layout.all.filter { !excluding.contains($0.name) })
    }

    /// Encodes `record` for its digest: `compare: ignore` fields left out.
    static func encodeForComparison(_ record: Record, schema: EntitySchema) -> [UInt8] {
        encode(record, fields: schema.layout.compared)
    }

    private static func encode(_ record: Record, fields: [CanonicalLayout.Field]) -> [UInt8] {
        var out = magic
        out.reserveCapacity(256)
        appendString(record.entity, to: &out)
        appendCount(record.key.count, to: &out)
        for part in record.key { appendString(part, to: &out) }
        appendCount(fields.count, to: &out)
        for field in fields {
            out.append(contentsOf: field.encodedName)
            append(record.fields[field.name] ?? .null, as: field.type, to: &out)
        }
        return out
    }

    static func append(_ value: Value, as type: FieldType, to out: inout [UInt8]) {
        switch (value, type) {
        case (.null, _):
            out.append(Tag.null.rawValue)
        case (.list(let items), .list(let element)):
            out.append(Tag.list.rawValue)
            appendCount(items.count, to: &out)
            for item in items { append(item, as: element, to: &out) }
        case (_, .date):
            out.append(Tag.date.rawValue)
            appendString(value.text ?? "", to: &out)
        case (_, .timestamp):
            // Microseconds since the epoch, UTC: one fixed precision whatever the source wrote.
            // A fraction finer than that (nanoseconds) is kept as text rather than rounded, so
            // two values that differ in it never digest alike.
            if let text = value.text, let micros = DatePattern.canonicalMicroseconds(text) {
                out.append(Tag.timestamp.rawValue)
                appendInt(micros, to: &out)
            } else if let text = value.text, let date = Timestamp.parse(text) {
                out.append(Tag.timestamp.rawValue)
                appendInt(Int64((date.timeIntervalSince1970 * 1_000_000).rounded()), to: &out)
            } else {
                out.append(Tag.string.rawValue)
                appendString(value.text ?? "", to: &out)
            }
        case (_, .decimal):
            out.append(Tag.decimal.rawValue)
            appendString(plainDecimal(value.text ?? ""), to: &out)
        default:
            appendUntyped(value, to: &out)
        }
    }

    /// A value as its own case says, for fields whose declared type adds nothing.
    static func appendUntyped(_ value: Value, to out: inout [UInt8]) {
        switch value {
        case .null: out.append(Tag.null.rawValue)
        case .bool(let b):
            out.append(Tag.bool.rawValue)
            out.append(b ? 1 : 0)
        case .int(let i):
            out.append(Tag.int.rawValue)
            appendInt(i, to: &out)
        case .decimal(let d):
            out.append(Tag.decimal.rawValue)
            appendString(plainDecimal(d), to: &out)
        case .string(let s):
            out.append(Tag.string.rawValue)
            appendString(s, to: &out)
        case .list(let items):
            out.append(Tag.list.rawValue)
            appendCount(items.count, to: &out)
            for item in items { appendUntyped(item, to: &out) }
        case .object(let members):
            out.append(Tag.object.rawValue)
            appendCount(members.count, to: &out)
            for name in members.keys.sorted() {
                appendString(name, to: &out)
                appendUntyped(members[name] ?? .null, to: &out)
            }
        case .bytes(let data):
            out.append(Tag.bytes.rawValue)
            appendCount(data.count, to: &out)
            out.append(contentsOf: data)
        case .document(let reference):
            // The reference, not the signature: two copies of one document signed at
            // different times, or by different nodes, hold the same content.
            out.append(Tag.document.rawValue)
            appendString(reference.digest, to: &out)
            appendInt(reference.size, to: &out)
            appendString(reference.mediaType, to: &out)
            appendString(reference.name, to: &out)
        }
    }

    static func appendString(_ text: String, to out: inout [UInt8]) {
        // Already-NFC text (nearly all of it, Chinese included) skips Foundation's normaliser.
        let normal = NFCQuickCheck.isNFC(text) ? text : text.precomposedStringWithCanonicalMapping
        appendCount(normal.utf8.count, to: &out)
        out.append(contentsOf: normal.utf8)
    }

    static func appendCount(_ count: Int, to out: inout [UInt8]) {
        let value = UInt32(truncatingIfNeeded: count)
        out.append(contentsOf: [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)])
    }

    static func appendInt(_ value: Int64, to out: inout [UInt8]) {
        let bits = UInt64(bitPattern: value)
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(bits >> UInt64(shift) & 0xFF)) }
    }

    /// Optional sign, digits, optional point and digits: no exponent, no nan or inf.
    public static func isPlainDecimal(_ text: String) -> Bool { plainDecimal(text) != text || isCanonicalDecimal(text) }

    static func isCanonicalDecimal(_ text: String) -> Bool {
        let body = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        return (1...2).contains(parts.count) && !parts[0].isEmpty && parts.allSatisfy { !$0.isEmpty && $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }
    }

    /// `-0012.3400` → `-12.34`, `1.0` → `1`, `-0` → `0`; text that is not a plain decimal is
    /// kept as it is (the mapping rejected anything else before it got here).
    public static func plainDecimal(_ text: String) -> String {
        var digits = Substring(text)
        var negative = false
        if digits.first == "-" || digits.first == "+" {
            negative = digits.first == "-"
            digits = digits.dropFirst()
        }
        let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            !(parts[0].isEmpty && (parts.count == 1 || parts[1].isEmpty))
        else { return text }
        var whole = parts[0].drop { $0 == "0" }
        var fraction = parts.count == 2 ? Substring(parts[1]) : ""
        while fraction.last == "0" { fraction = fraction.dropLast() }
        if whole.isEmpty { whole = "0" }
        let body = fraction.isEmpty ? String(whole) : "\(whole).\(fraction)"
        return negative && body != "0" ? "-" + body : body
    }
}

extension EntitySchema {
    /// Whether any field is a document: records of such an entity carry references whose
    /// content the node stores, ships and waits for.
    public var hasDocuments: Bool { fields.contains { $0.type == .document } }

    /// Fields that reconciliation leaves out (`compare: ignore`).
    public var ignoredInComparison: Set<String> { Set(fields.filter(\.compareIgnored).map(\.name)) }
}

/// An entity's fields in canonical order (by name), each with its name already encoded:
/// what every record's encoding walks, worked out once per schema.
struct CanonicalLayout: Sendable {
    struct Field: Sendable {
        var name: String
        var type: FieldType
        /// Length-prefixed NFC bytes of the name, as `appendString` writes it.
        var encodedName: [UInt8]
    }

    /// Every declared field.
    var all: [Field]
    /// The fields a digest compares: all but those marked `compare: ignore`.
    var compared: [Field]

    init(_ fields: [FieldSpec]) {
        let sorted = fields.sorted { $0.name < $1.name }
        func field(_ spec: FieldSpec) -> Field {
            var name: [UInt8] = []
            CanonicalEncoding.appendString(spec.name, to: &name)
            return Field(name: spec.name, type: spec.type, encodedName: name)
        }
        all = sorted.map(field)
        compared = sorted.filter { !$0.compareIgnored }.map(field)
    }
}
