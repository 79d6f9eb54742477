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

    public var line: [UInt8] {
        CanonicalJSON.encode(.object(["chunk": .object([
            "digest": .string(digest), "size": .int(size), "offset": .int(offset), "data": .string(Data(data).base64EncodedString()),
        ])]))
    }

    /// - Throws: `bundle.record` when the line is not a chunk, its digest is not
    ///   `ALGORITHM:HEX`, or its piece does not lie inside the document.
    public init(line: [UInt8]) throws {
        guard case .object(let outer) = try CanonicalJSON.decode(line), case .object(let o)? = outer["chunk"],
            case .string(let digest)? = o["digest"], DocumentRef.isDigest(digest),
            case .int(let size)? = o["size"], case .int(let offset)? = o["offset"],
            case .string(let text)? = o["data"], let data = Data(base64Encoded: text),
            size >= 0, offset >= 0, offset <= size, Int64(data.count) <= size - offset
        else {
            throw FerryError(.bundleRecord, "a documents line is not a well-formed document chunk",
                hint: "sender and receiver run incompatible Ferry versions, or the sender is faulty")
        }
        self.init(digest: digest, size: size, offset: offset, data: [UInt8](data))
    }
}
