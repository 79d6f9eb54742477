import FerryCore

/// Text converted from UTF-8 to a folder system's encoding, one piece (a record) at a time,
/// so a record holding a character the encoding lacks is refused alone. Never writes a
/// substitute such as `?`.
struct TextOutput {
    let encoding: TextEncoding
    private let transcoder: Transcoder?

    init(encoding: TextEncoding) throws {
        self.encoding = encoding
        switch encoding {
        case .utf8: transcoder = nil
        case .utf16: transcoder = try Transcoder(from: "UTF-8", to: "UTF-16LE")
        default: transcoder = try Transcoder(from: "UTF-8", to: encoding.fixedCharset?.iconvName ?? "UTF-8")
        }
    }

    /// The byte-order mark a file starts with: `utf-16` always, and any UTF-16 for XML,
    /// which requires one (XML 1.0 §4.3.3).
    func fileStart(xml: Bool) -> [UInt8] {
        switch encoding {
        case .utf16: return [0xFF, 0xFE]
        case .utf16le where xml: return [0xFF, 0xFE]
        case .utf16be where xml: return [0xFE, 0xFF]
        default: return []
        }
    }

    /// The encoding's name in an XML declaration.
    var xmlName: String {
        switch encoding {
        case .utf16, .utf16le, .utf16be: return "UTF-16"
        default: return encoding.label
        }
    }

    /// `text` in the target encoding, or nil when some character of it has no place there.
    func encode(_ text: String) -> [UInt8]? {
        guard let transcoder else { return Array(text.utf8) }
        var output: [UInt8] = []
        transcoder.reset()
        let (consumed, stop) = transcoder.convert(ArraySlice(text.utf8), into: &output)
        return stop == .done && consumed == text.utf8.count ? output : nil
    }

    /// The first character of `text` the encoding cannot represent, as `U+XXXX` (the
    /// character itself is left out: it may belong to personal data).
    func unrepresentable(in text: String) -> String? {
        for scalar in text.unicodeScalars where encode(String(scalar)) == nil {
            let hex = String(scalar.value, radix: 16, uppercase: true)
            return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        }
        return nil
    }

    /// Why a record cannot be written: the first column holding such a character.
    func refusal(_ values: [String: Value]) -> String {
        for column in values.keys.sorted() {
            let text = values[column].map(FolderAdapter.cellText) ?? nil
            for candidate in [column, text].compactMap({ $0 }) {
                if let character = unrepresentable(in: candidate) {
                    return "column \(column) holds \(character), which \(encoding.label) cannot represent; "
                        + "write this system's files in a Unicode encoding (encoding: utf-8, gb18030 or utf-16), or change the value"
                }
            }
        }
        return "the record cannot be written in \(encoding.label)"
    }
}
