public import Foundation
public import FerryCore

/// One line of a `documents` bundle (docs/bundle-format.md, "kind: documents"): a piece of
/// one document's content at its offset, with the document's digest and whole size, so
/// the receiver can reassemble it from pieces that arrive in any order and check it when
/// the last one is in.
///
/// ```json
/// {"chunk":{"data":"<base64>","digest":"sha256:<hex>","offset":0,"size":31457280}}
/// ```
public struct DocumentChunkLine: Sendable, Equatable {
    /// Content bytes per line. 1 MiB of content is about 1.4 MB of base64, well inside a
    /// reader's 16 MiB line limit.
    public static let contentPerLine = 1 << 20

    public var digest: String
    /// The whole document's size in bytes.
    public var size: Int64
    /// Where `data` starts in the document.
    public var offset: Int64
    public var data: [UInt8]

    public init(digest: String, size: Int64, offset: Int64, data: [UInt8]) {
        (self.digest, self.size, self.offset, self.data) = (digest, size, offset, data)
    }

    /// How every canonical chunk line starts: its members sort `data` first.
    static let head = Array(#"{"chunk":{"data":""#.utf8)

    /// The canonical line, written directly: base64 and a checked digest need no escaping,
    /// and walking a megabyte of base64 through the general JSON writer was the largest
    /// cost of sealing a document (17.7% of `ferry bench documents` under perf).
    public var line: [UInt8] {
        let encoded = Data(data).base64EncodedData()
        var out: [UInt8] = []
        out.reserveCapacity(encoded.count + digest.utf8.count + 80)
        out += Self.head
        out += encoded
        out += Array(#"","digest":"#.utf8)
        CanonicalJSON.write(.string(digest), into: &out)
        out += Array(#","offset":\#(offset),"size":\#(size)}}"#.utf8)
        return out
    }

    /// - Throws: `bundle.record` when the line is not a chunk, its digest is not
    ///   `ALGORITHM:HEX`, or its piece does not lie inside the document.
    public init(line: [UInt8]) throws {
        if let fast = Self.fastParse(line) {
            self = fast
            return
        }
        guard case .object(let outer) = try? CanonicalJSON.decode(line), case .object(let o)? = outer["chunk"],
            case .string(let text)? = o["data"], let data = Data(base64Encoded: text), o.count == 4,
            let chunk = Self.checked(data: data, rest: o)
        else {
            throw FerryError(.bundleRecord, "a documents line is not a well-formed document chunk",
                hint: "sender and receiver run incompatible Ferry versions, or the sender is faulty")
        }
        self = chunk
    }

    /// A canonical line read without the general JSON parser: the base64 between the fixed
    /// head and the next quote, then only the small rest parsed as JSON. Nil when the line
    /// is not in that form, and the general parser decides.
    static func fastParse(_ line: [UInt8]) -> DocumentChunkLine? {
        guard line.count > head.count + 2, line[0..<head.count].elementsEqual(head), line.last == UInt8(ascii: "}"),
            let end = quote(in: line, from: head.count), end + 2 < line.count,
            let data = line.withUnsafeBufferPointer({ Data(base64Encoded: Data(UnsafeBufferPointer(rebasing: $0[head.count..<end]))) }),
            case .object(let rest)? = try? CanonicalJSON.decode([UInt8(ascii: "{")] + line[(end + 2)..<(line.count - 1)]),
            rest.count == 3
        else { return nil }
        return checked(data: data, rest: rest)
    }

    /// The index of the first `"` at or after `start`, found with memchr.
    static func quote(in line: [UInt8], from start: Int) -> Int? {
        line.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress, start < buffer.count,
                let found = memchr(base + start, Int32(UInt8(ascii: "\"")), buffer.count - start)
            else { return nil }
            return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
        }
    }

    /// The chunk when the members other than `data` are well formed and the piece lies
    /// inside the document.
    static func checked(data: Data, rest: [String: Value]) -> DocumentChunkLine? {
        guard case .string(let digest)? = rest["digest"], DocumentRef.isDigest(digest),
            case .int(let size)? = rest["size"], case .int(let offset)? = rest["offset"],
            size >= 0, offset >= 0, offset <= size, Int64(data.count) <= size - offset
        else { return nil }
        return DocumentChunkLine(digest: digest, size: size, offset: offset, data: [UInt8](data))
    }
}
