import Foundation
import FerryCore

/// The bytes Foundation's XMLParser reads from an XML file: always UTF-8, so that Ferry's
/// own checks (entity declarations, bytes invalid in the encoding) see the same text the
/// parser does.
///
/// Which encoding the file is in: `encoding:` when the system sets one; otherwise a
/// byte-order mark (UTF-8 or UTF-16), then the XML declaration's `encoding="…"`, then
/// UTF-8 (XML 1.0 §4.3.3 and Appendix F). Converted text gets `encoding="UTF-8"` in its
/// declaration, so the parser does not decode it twice.
final class XMLDocumentStream: InputStream {
    // Used on the parser's thread only.
    private var input: TextInput
    private let rewritesDeclaration: Bool
    private var block: [UInt8] = []
    private var offset = 0
    private var started = false
    private var prolog = XMLPrologScanner()
    private var instructions = XMLInstructionGuard()
    /// Why reading stopped, when it was Ferry that stopped it.
    private(set) var failure: FerryError?

    init(url: URL, encoding: TextEncoding) throws {
        let plan = try Self.plan(url: url, encoding: encoding)
        input = try TextInput(url: url, plan: plan)
        rewritesDeclaration = plan != .utf8
        super.init(data: Data())
    }

    /// Picks how to read the file from the option and the file's first bytes.
    static func plan(url: URL, encoding: TextEncoding) throws -> TextInput.Plan {
        switch encoding {
        case .utf16: return .utf16ByMark
        case .utf8: break
        default: return encoding.fixedCharset.map { .convert($0) } ?? .utf8
        }
        let head: [UInt8]
        do {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            head = [UInt8](try handle.read(upToCount: 1024) ?? Data())
        } catch {
            throw FerryError.adapter(.retryable, "cannot open \(url.path)", hint: "check the folder's permissions")
        }
        if head.starts(with: [0xFF, 0xFE]) || head.starts(with: [0xFE, 0xFF]) { return .utf16ByMark }
        if head.starts(with: [0xEF, 0xBB, 0xBF]) { return .utf8 }  // a mark outranks the declaration
        guard let declared = declaredEncoding(head), !["utf-8", "utf8"].contains(declared.lowercased()) else { return .utf8 }
        let unit = declared.uppercased().hasPrefix("UTF-16") ? 2 : 1
        return .convert(Charset(iconvName: declared, label: declared, unit: unit))
    }

    /// `encoding="…"` of an XML declaration at the start, when it is a valid EncName
    /// (XML 1.0 [81]: a letter, then letters, digits, '.', '_' and '-'), so nothing but a
    /// charset name, never an iconv suffix such as `//IGNORE`, reaches iconv.
    static func declaredEncoding(_ head: [UInt8]) -> String? {
        guard let range = encodingValue(in: head) else { return nil }
        let name = String(decoding: head[range], as: UTF8.self)
        guard let first = name.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic, name.count <= 40,
            name.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0)) })
        else { return nil }
        return name
    }

    /// Where the value of `encoding=` sits inside a leading `<?xml … ?>`.
    private static func encodingValue(in bytes: [UInt8]) -> Range<Int>? {
        let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        guard bytes[start...].starts(with: Array("<?xml".utf8)) else { return nil }
        let window = Array(bytes[start..<min(bytes.count, start + 512)])
        guard let close = (0..<max(0, window.count - 1)).first(where: { window[$0] == UInt8(ascii: "?") && window[$0 + 1] == UInt8(ascii: ">") }),
            let key = (0..<close).first(where: { window[$0...].starts(with: Array("encoding".utf8)) })
        else { return nil }
        var index = key + 8
        while index < close, [0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: "=")].contains(window[index]) { index += 1 }
        guard index < close, window[index] == UInt8(ascii: "\"") || window[index] == UInt8(ascii: "'"),
            let end = window[(index + 1)..<close].firstIndex(of: window[index])
        else { return nil }
        return (start + index + 1)..<(start + end)
    }

    override func open() {}
    override func close() { input.close() }
    override var hasBytesAvailable: Bool { failure == nil }
    override var streamError: (any Error)? {
        failure.map { NSError(domain: "Ferry", code: 1, userInfo: [NSLocalizedDescriptionKey: $0.message]) }
    }

    override func read(_ buffer: UnsafeMutablePointer<UInt8>, maxLength length: Int) -> Int {
        if offset == block.count {
            do {
                guard try refill() else { return 0 }
            } catch let error as FerryError {
                failure = error
                return -1
            } catch {
                failure = FerryError.adapter(.retryable, "cannot read \(input.url.path)", hint: "check the disk and the file")
                return -1
            }
        }
        let count = min(length, block.count - offset)
        block.withUnsafeBufferPointer { source in
            guard let base = source.baseAddress else { return }
            buffer.update(from: base + offset, count: count)
        }
        offset += count
        return count
    }

    /// The next block, checked; false at the end of the file.
    private func refill() throws -> Bool {
        guard let next = try input.next() else {
            prolog.finish()
            return false
        }
        (block, offset) = (next, 0)
        if let (line, column) = input.firstInvalid {
            throw FerryError.adapter(.permanent, "bytes that are not \(input.label) text",
                at: SourceLocation(file: input.url.path, line: line, column: column),
                hint: "check the file's encoding (its XML declaration, or encoding: in the system's options)")
        }
        if !started {
            started = true
            if rewritesDeclaration, let range = Self.encodingValue(in: block) {
                block.replaceSubrange(range, with: Array("UTF-8".utf8))
            }
        }
        if let finding = prolog.feed(block) { throw refusal(finding) }
        block = instructions.filter(block)
        return true
    }

    private func refusal(_ finding: XMLPrologScanner.Finding) -> FerryError {
        let file = input.url.path
        switch finding {
        case .prologTooLong:
            return .adapter(.permanent, "the document's DOCTYPE and declarations before its first element pass \(XMLPrologScanner.maxProlog >> 20) MiB",
                at: SourceLocation(file: file, line: 1, column: 1), hint: "an exported data file needs no DTD; drop it from the export")
        case .entity(let name, let external, let parameter, let line, let column):
            let what = parameter ? "parameter entity %\(name)" : external ? "external entity \(name)" : "entity \(name)"
            let why = external
                ? "external entities are never fetched, and the text that uses one would be lost"
                : "Ferry expands no DTD entities, and the parser would drop the entity's text"
            return .adapter(.permanent, "the document declares \(what) in its DOCTYPE: \(why)",
                at: SourceLocation(file: file, line: line, column: column),
                hint: "write the text itself where the document uses &\(name);, remove the declaration, then drop the file again")
        }
    }
}
