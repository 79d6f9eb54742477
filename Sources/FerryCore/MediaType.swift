/// Media types (RFC 6838) of documents, told from their first bytes: what a document is
/// stored and checked as when its source does not say.
public enum MediaType {
    public static let octetStream = "application/octet-stream"
    public static let pdf = "application/pdf"
    /// GB/T 33190 OFD files: a ZIP container whose entry `OFD.xml` is the document's root.
    public static let ofd = "application/ofd"

    /// Bytes of a file's start that `sniff` looks at.
    public static let prefixLength = 64

    /// `type/subtype`, each a restricted name of RFC 6838 §4.2, with no parameters.
    public static func isWellFormed(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        func restricted(_ part: Substring) -> Bool {
            guard let first = part.utf8.first, (1...127).contains(part.utf8.count), isAlphanumeric(first) else { return false }
            return part.utf8.allSatisfy { isAlphanumeric($0) || Array("!#$&-^_.+".utf8).contains($0) }
        }
        return parts.count == 2 && restricted(parts[0]) && restricted(parts[1])
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    /// The media type the file's first bytes show: PDF (`%PDF-`, ISO 32000), OFD (a ZIP whose
    /// first entry is `OFD.xml`, GB/T 33190), other ZIP, PNG, JPEG, GIF, TIFF and XML;
    /// `application/octet-stream` for anything else.
    public static func sniff(_ prefix: [UInt8]) -> String {
        func starts(_ magic: [UInt8]) -> Bool { prefix.count >= magic.count && Array(prefix.prefix(magic.count)) == magic }
        if starts(Array("%PDF-".utf8)) { return pdf }
        if starts([0x50, 0x4B, 0x03, 0x04]) { return firstZipEntry(prefix) == "OFD.xml" ? ofd : "application/zip" }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if starts([0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return "image/gif" }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return "image/tiff" }
        if starts(Array("<?xml".utf8)) || starts([0xEF, 0xBB, 0xBF] + Array("<?xml".utf8)) { return "application/xml" }
        return octetStream
    }

    /// The name of a ZIP file's first local entry (APPNOTE 4.3.7: the name's length at
    /// offset 26, little-endian, the name at 30), when it lies within `prefix`.
    static func firstZipEntry(_ prefix: [UInt8]) -> String? {
        guard prefix.count >= 30 else { return nil }
        let length = Int(prefix[26]) | Int(prefix[27]) << 8
        guard length > 0, 30 + length <= prefix.count else { return nil }
        return String(decoding: prefix[30..<(30 + length)], as: UTF8.self)
    }

    /// Why a file declared as `declared` is not one, for the types whose first bytes are
    /// fixed (PDF and OFD); nil when the bytes agree, or the type has no fixed start.
    public static func mismatch(declared: String, prefix: [UInt8]) -> String? {
        let found = sniff(prefix)
        switch declared.lowercased() {
        case pdf where found != pdf:
            return "it is declared application/pdf, but does not start with %PDF- (its first bytes look like \(found))"
        case ofd where found != ofd:
            return "it is declared application/ofd, but is not a ZIP container whose first entry is OFD.xml (its first bytes look like \(found))"
        default: return nil
        }
    }
}
