import FerryCore

/// The character encoding of a folder system's files (`encoding:`), read and written
/// through the C library's iconv.
///
/// Chinese Excel saves CSV as GB18030 (GBK's superset) by default, and Windows tools write
/// UTF-16; Ferry itself works in UTF-8. `utf16` takes its byte order from the file's
/// byte-order mark (Unicode §23.8) and writes little-endian with a mark;
/// `utf16le`/`utf16be` name the order and write no mark (RFC 2781 §3.3).
public enum TextEncoding: String, Sendable, CaseIterable {
    case utf8 = "utf-8"
    case gb18030
    case gbk
    case utf16 = "utf-16"
    case utf16le = "utf-16le"
    case utf16be = "utf-16be"

    /// Parses an `encoding:` value, in any case, with or without the hyphen.
    public init?(option: String) {
        let name = option.lowercased()
        let compact = name.replacingOccurrences(of: "-", with: "").replacingOccurrences(of: "_", with: "")
        guard let match = Self.allCases.first(where: { $0.rawValue.replacingOccurrences(of: "-", with: "") == compact }) else {
            return nil
        }
        self = match
    }

    /// How messages and XML declarations name it.
    public var label: String {
        switch self {
        case .utf8: return "UTF-8"
        case .gb18030: return "GB18030"
        case .gbk: return "GBK"
        case .utf16: return "UTF-16"
        case .utf16le: return "UTF-16LE"
        case .utf16be: return "UTF-16BE"
        }
    }

    /// The charset read through iconv; nil for UTF-8 (read as it is) and `utf16`
    /// (decided by the byte-order mark).
    var fixedCharset: Charset? {
        switch self {
        case .utf8, .utf16: return nil
        case .gb18030: return Charset(iconvName: "GB18030", label: label, unit: 1)
        case .gbk: return Charset(iconvName: "GBK", label: label, unit: 1)
        case .utf16le: return .utf16LittleEndian
        case .utf16be: return .utf16BigEndian
        }
    }

    /// Parses `encoding:` of a system's options.
    static func option(_ node: ConfigNode) throws -> TextEncoding {
        let text = try node.string("encoding")
        guard let encoding = TextEncoding(option: text) else {
            throw node.error("encoding \(text) is not supported",
                hint: "one of \(allCases.map(\.rawValue).joined(separator: ", ")) (convert other encodings with iconv first)")
        }
        return encoding
    }
}

/// A charset iconv converts from and to: its iconv name, the name users see, and its code
/// unit in bytes (skipped past an invalid sequence).
struct Charset: Sendable, Equatable {
    var iconvName: String
    var label: String
    var unit: Int

    static let utf16LittleEndian = Charset(iconvName: "UTF-16LE", label: "UTF-16LE", unit: 2)
    static let utf16BigEndian = Charset(iconvName: "UTF-16BE", label: "UTF-16BE", unit: 2)
}
