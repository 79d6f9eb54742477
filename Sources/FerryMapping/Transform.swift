public import Foundation

/// Normalising text transforms applied when reading from a system. They do not invert
/// (a trimmed name cannot be un-trimmed), so writing back skips them: the canonical value
/// is already normal.
public enum Transform: String, Sendable, CaseIterable {
    case trim, upper, lower, halfwidth, fullwidth, nfc

    func apply(_ text: String) -> String {
        switch self {
        case .trim: return text.trimmingCharacters(in: .whitespacesAndNewlines.union(["\u{3000}"]))
        case .upper: return text.uppercased()
        case .lower: return text.lowercased()
        case .nfc: return text.precomposedStringWithCanonicalMapping
        case .halfwidth:
            // Full-width ASCII forms U+FF01–FF5E and the ideographic space map onto ASCII.
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
        }
    }
}
