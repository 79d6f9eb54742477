import Foundation
import FerryCore

/// Text transforms applied, in order, when reading a value from a system. Normalisers
/// (trim, case, width, NFC, pad) are skipped when writing back: the canonical value is
/// already normal. `replace` and `extract` lose information, so a mapping that uses them
/// must say it only reads (`directions: [read]`).
public enum Transform: Sendable {
    case trim, upper, lower, halfwidth, fullwidth, nfc
    /// Removes NUL (U+0000), which reading otherwise refuses (rule `no_nul`).
    case stripNUL
    /// Removes the C0 control characters reading otherwise refuses (rules `no_nul`,
    /// `no_control`): U+0000–U+001F except TAB, LF and CR.
    case stripControls
    /// A 15-digit resident ID number (GB 11643-1989, issued until 1999) becomes the 18-digit
    /// number of GB 11643-1999: `19` before the 2-digit birth year and the ISO 7064 MOD 11-2
    /// check character after the sequence number. Any other text is left as it is.
    case residentID15To18
    /// Every occurrence of `from` becomes `to` (literal text, not a pattern).
    case replace(from: String, to: String)
    /// The first capture group of the first match (the whole match without a group); no
    /// match gives an empty value.
    case extract(pattern: String, regex: NSRegularExpressionBox)
    /// Pads to `width` characters with `with`, on the left unless `left` is false.
    case pad(width: Int, with: Character, left: Bool)

    public static let names = [
        "trim", "upper", "lower", "halfwidth", "fullwidth", "nfc", "strip_nul", "strip_controls", "id15to18", "replace", "extract", "pad",
    ]

    public var name: String {
        switch self {
        case .trim: "trim"
        case .upper: "upper"
        case .lower: "lower"
        case .halfwidth: "halfwidth"
        case .fullwidth: "fullwidth"
        case .nfc: "nfc"
        case .stripNUL: "strip_nul"
        case .stripControls: "strip_controls"
        case .residentID15To18: "id15to18"
        case .replace: "replace"
        case .extract: "extract"
        case .pad: "pad"
        }
    }

    /// How `ferry mapping explain` shows it.
    public var summary: String {
        switch self {
        case .replace(let from, let to): "replace '\(from)'→'\(to)'"
        case .extract(let pattern, _): "extract /\(pattern)/"
        case .pad(let width, let with, let left): "pad \(left ? "left" : "right") to \(width) with '\(with)'"
        default: name
        }
    }

    /// Whether writing back can do without it: normalisers can, lossy rewrites cannot.
    public var invertible: Bool {
        switch self {
        case .replace, .extract: false
        default: true
        }
    }

    /// `trim`, or `{ replace: { from: "-", to: "" } }`, `{ extract: "^(\\d{6})" }`,
    /// `{ pad: { width: 8, with: "0", side: left } }`.
    static func parse(_ node: ConfigNode) throws -> Transform {
        if case .mapping(let entries) = node.kind {
            guard entries.count == 1, let entry = entries.first else {
                throw node.error("a transform with options has exactly one name, like { replace: { from: \"-\", to: \"\" } }")
            }
            let options = entry.value
            switch entry.key {
            case "replace":
                try options.rejectUnknownKeys(["from", "to"], in: "replace")
                let from = try options.require("from", in: "replace").string("from")
                guard !from.isEmpty else { throw options.error("replace needs a non-empty 'from'") }
                return .replace(from: from, to: try options["to"]?.string("to") ?? "")
            case "extract":
                let pattern = try options.string("extract")
                guard let regex = try? NSRegularExpression(pattern: pattern) else {
                    throw options.error("extract '\(pattern)' is not a valid regular expression")
                }
                return .extract(pattern: pattern, regex: NSRegularExpressionBox(regex))
            case "pad":
                try options.rejectUnknownKeys(["width", "with", "side"], in: "pad")
                let widthNode = try options.require("width", in: "pad")
                let width = try widthNode.int("width")
                guard (1...1024).contains(width) else { throw widthNode.error("pad width must be 1 to 1024") }
                let with = try options["with"]?.string("with") ?? " "
                guard with.count == 1, let character = with.first else { throw try options.require("with", in: "pad").error("pad with is one character") }
                let side = try options["side"]?.string("side") ?? "left"
                guard side == "left" || side == "right" else { throw try options.require("side", in: "pad").error("pad side is left or right") }
                return .pad(width: width, with: character, left: side == "left")
            default:
                throw FerryError(.config, "unknown transform '\(entry.key)'", at: .file(entry.keyLocation),
                    hint: "known: \(names.joined(separator: ", "))")
            }
        }
        let name = try node.string("transform")
        switch name {
        case "trim": return .trim
        case "upper": return .upper
        case "lower": return .lower
        case "halfwidth": return .halfwidth
        case "fullwidth": return .fullwidth
        case "nfc": return .nfc
        case "strip_nul": return .stripNUL
        case "strip_controls": return .stripControls
        case "id15to18": return .residentID15To18
        case "replace", "extract", "pad":
            throw node.error("transform '\(name)' needs options", hint: "for example { \(name): … }; see docs/mapping-language.md")
        default:
            let close = names.filter { $0.hasPrefix(name.prefix(2)) }
            throw node.error("unknown transform '\(name)'",
                hint: close.isEmpty ? "known: \(names.joined(separator: ", "))" : "did you mean \(close.joined(separator: " or "))?")
        }
    }

    /// What `trim` removes from both ends: Unicode White_Space as Foundation's
    /// `whitespacesAndNewlines` defines it, and the ideographic space U+3000.
    private static let trimmedSet = CharacterSet.whitespacesAndNewlines.union(["\u{3000}"])

    /// `trim`. Most values neither start nor end with space: when neither the first nor the
    /// last scalar is one `trim` removes, the text is returned as it is and Foundation's
    /// trimming (a new string per value, 3% of a sync's CPU on Chinese text) is not called.
    static func trimmed(_ text: String) -> String {
        guard let first = text.unicodeScalars.first, let last = text.unicodeScalars.last else { return text }
        if !isTrimmed(first) && !isTrimmed(last) { return text }
        return text.trimmingCharacters(in: trimmedSet)
    }

    /// Whether `trim` removes this scalar: ASCII answered without Foundation (TAB, LF, VT,
    /// FF, CR and space are the only ASCII members of the set).
    static func isTrimmed(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII { return scalar.value == 0x20 || (0x09...0x0D).contains(scalar.value) }
        return trimmedSet.contains(scalar)
    }

    func apply(_ text: String) -> String {
        switch self {
        case .trim: return Self.trimmed(text)
        // ASCII text with nothing to change is returned as it is (no new string per value).
        case .upper: return text.utf8.allSatisfy({ $0 < 0x80 && !(0x61...0x7A).contains($0) }) ? text : text.uppercased()
        case .lower: return text.utf8.allSatisfy({ $0 < 0x80 && !(0x41...0x5A).contains($0) }) ? text : text.lowercased()
        case .nfc: return NFCQuickCheck.isNFC(text) ? text : text.precomposedStringWithCanonicalMapping
        case .stripNUL: return String(String.UnicodeScalarView(text.unicodeScalars.filter { $0 != "\u{0}" }))
        case .stripControls: return String(String.UnicodeScalarView(text.unicodeScalars.filter { !ControlCharacters.isRefused($0) }))
        case .residentID15To18: return Validators.residentID18(from15: text) ?? text
        case .halfwidth:
            // Full-width ASCII forms U+FF01–FF5E and the ideographic space map onto ASCII. Most
            // text has none, and is returned as it is rather than rebuilt scalar by scalar.
            guard text.unicodeScalars.contains(where: { (0xFF01...0xFF5E).contains($0.value) || $0.value == 0x3000 }) else { return text }
            var scalars = String.UnicodeScalarView()
            for scalar in text.unicodeScalars {
                switch scalar.value {
                case 0xFF01...0xFF5E: scalars.append(Unicode.Scalar(scalar.value - 0xFEE0)!)
                case 0x3000: scalars.append(" ")
                default: scalars.append(scalar)
                }
            }
            return String(scalars)
        case .fullwidth:
            var scalars = String.UnicodeScalarView()
            for scalar in text.unicodeScalars {
                switch scalar.value {
                case 0x21...0x7E: scalars.append(Unicode.Scalar(scalar.value + 0xFEE0)!)
                case 0x20: scalars.append("\u{3000}")
                default: scalars.append(scalar)
                }
            }
            return String(scalars)
        case .replace(let from, let to):
            return text.replacingOccurrences(of: from, with: to)
        case .extract(_, let box):
            let range = NSRange(text.startIndex..., in: text)
            guard let match = box.regex.firstMatch(in: text, range: range) else { return "" }
            let wanted = match.numberOfRanges > 1 ? match.range(at: 1) : match.range
            guard wanted.location != NSNotFound, let found = Range(wanted, in: text) else { return "" }
            return String(text[found])
        case .pad(let width, let with, let left):
            guard text.count < width else { return text }
            let padding = String(repeating: with, count: width - text.count)
            return left ? padding + text : text + padding
        }
    }
}
