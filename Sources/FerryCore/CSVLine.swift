/// Writing CSV lines (RFC 4180 §2).
public enum CSVLine {
    /// One line, ending CRLF. A null cell is written empty and an empty string as `""`,
    /// which is how Ferry's reader tells them apart; other cells are quoted when they hold
    /// the delimiter, a quote or a line break, with quotes doubled.
    ///
    /// Decided on UTF-8 bytes, never on `Character`s: `,` followed by U+0301 is one grapheme
    /// cluster that compares unequal to `,`, yet every CSV reader splits on the byte.
    public static func encode(_ cells: [String?], delimiter: UInt8 = UInt8(ascii: ",")) -> [UInt8] {
        var line: [UInt8] = []
        for (index, cell) in cells.enumerated() {
            if index > 0 { line.append(delimiter) }
            guard let cell else { continue }
            let bytes = Array(cell.utf8)
            if bytes.isEmpty || bytes.contains(where: { $0 == delimiter || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }) {
                line.append(UInt8(ascii: "\""))
                for byte in bytes {
                    if byte == UInt8(ascii: "\"") { line.append(byte) }
                    line.append(byte)
                }
                line.append(UInt8(ascii: "\""))
            } else {
                line += bytes
            }
        }
        line += [0x0D, 0x0A]
        return line
    }
}
