public import Foundation
public import FerryCore

/// A streaming digest the blob store hashes content with; FerrySeal's `Hasher` is one. The
/// store itself knows no crypto.
public protocol ContentHasher: AnyObject {
    func update(_ bytes: UnsafeRawBufferPointer)
    func finish() throws -> [UInt8]
}

/// Document content, addressed by digest, in files beside the node's store
/// (`NODE.blobs/`): whole documents under `sha256/ab/<hex>` or `sm3/ab/<hex>`, documents
/// still arriving under `partial/`. Content is written to a private temporary file, synced,
/// then renamed into place, so a file under its digest's name is always whole and verified.
/// Which documents exist and how far each has arrived is the `Documents` table's to say.
public struct BlobStore: Sendable {
    public let directory: URL
    /// Bytes read or written at a time: memory stays at this whatever a document's size.
    public static let piece = 1 << 20

    public init(directory: URL) {
        self.directory = directory
    }

    /// Where the whole document with `digest` lives (whether or not it is there yet).
    public func path(for digest: String) -> URL {
        let (algorithm, hex) = Self.split(digest)
        return directory.appendingPathComponent(algorithm).appendingPathComponent(String(hex.prefix(2))).appendingPathComponent(hex)
    }

    /// Where a document being reassembled from chunks is written.
    public func partialPath(for digest: String) -> URL {
        let (algorithm, hex) = Self.split(digest)
        return directory.appendingPathComponent("partial").appendingPathComponent("\(algorithm)-\(hex).part")
    }

    public func contains(_ digest: String) -> Bool {
        DocumentRef.isDigest(digest) && FileManager.default.fileExists(atPath: path(for: digest).path)
    }

    static func split(_ digest: String) -> (String, String) {
        let parts = digest.split(separator: ":", maxSplits: 1)
        return parts.count == 2 ? (String(parts[0]), String(parts[1])) : ("unknown", digest)
    }

    /// What storing content found: its digest (`ALGORITHM:HEX`), size and first bytes.
    public struct Stored: Sendable {
        public var digest: String
        public var size: Int64
        public var prefix: [UInt8]
    }

    /// Copies a file or in-memory bytes into the store, hashing as it goes.
    /// - Parameters:
    ///   - algorithm: `sha256` or `sm3`, the digest's prefix.
    ///   - maxSize: content larger than this is refused (`document.too-large`) before the
    ///     store fills up with it.
    /// - Throws: `document.too-large`, `document.unreadable`, or `io` when the store cannot
    ///   be written.
    public func store(file: URL? = nil, data: Data? = nil, algorithm: String, hasher: any ContentHasher, maxSize: Int64) throws -> Stored {
        let temporary = try makeTemporary()
        var keep = false
        defer { if !keep { try? FileManager.default.removeItem(at: temporary) } }
        let out = try FileHandle(forWritingTo: temporary)
        defer { try? out.close() }
        var size: Int64 = 0
        var prefix: [UInt8] = []
        func take(_ piece: Data) throws {
            size += Int64(piece.count)
            guard size <= maxSize else {
                throw FerryError(.documentTooLarge, "the document is over max_document_size (\(maxSize) bytes)",
                    hint: "raise max_document_size on the node, or keep the file out of the flow")
            }
            if prefix.count < MediaType.prefixLength { prefix += piece.prefix(MediaType.prefixLength - prefix.count) }
            piece.withUnsafeBytes { hasher.update($0) }
            try out.write(contentsOf: piece)
        }
        if let data {
            try take(data)
        } else if let file {
            guard let input = FileHandle(forReadingAtPath: file.path) else {
                throw FerryError(.documentUnreadable, "cannot read document file \(OutsideText.describe(file.lastPathComponent))",
                    hint: "check that the file exists and that ferry may read it")
            }
            defer { try? input.close() }
            while let piece = try input.read(upToCount: Self.piece), !piece.isEmpty { try take(piece) }
        }
        try out.synchronize()
        let digest = "\(algorithm):\(hex(try hasher.finish()))"
        let final = path(for: digest)
        try FileManager.default.createDirectory(at: final.deletingLastPathComponent(), withIntermediateDirectories: true)
        // Same digest, same bytes: a document stored before stays as it is.
        if !FileManager.default.fileExists(atPath: final.path) {
            guard rename(temporary.path, final.path) == 0 else { throw FerryError(.io, "cannot move a document into \(final.path)") }
            keep = true
        }
        return Stored(digest: digest, size: size, prefix: prefix)
    }

    /// Writes one chunk of a document being reassembled at its offset. Writing the same
    /// chunk twice (a resent bundle, a carousel copy) writes the same bytes again.
    public func writeChunk(digest: String, offset: Int64, bytes: [UInt8]) throws {
        let file = partialPath(for: digest)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let descriptor = open(file.path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw FerryError(.io, "cannot open \(file.path) to reassemble a document", hint: "check free space and permissions") }
        defer { close(descriptor) }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { raw in
                pwrite(descriptor, raw.baseAddress! + written, raw.count - written, off_t(offset) + off_t(written))
            }
            guard count > 0 else { throw FerryError(.io, "cannot write \(file.path) (\(String(cString: strerror(errno))))", hint: "check free space") }
            written += count
        }
        guard fsync(descriptor) == 0 else { throw FerryError(.io, "cannot sync \(file.path)") }
    }

    /// Checks a reassembled document against its digest and moves it into place; on a
    /// mismatch the partial file is removed and the reason returned.
    /// - Returns: nil when the content verified and is in place, else why not.
    ///
    /// A document already in place (moved there by an intake whose transaction then rolled
    /// back, so its chunks came again) is checked where it is.
    public func complete(digest: String, size: Int64, hasher: any ContentHasher) throws -> String? {
        var partial = partialPath(for: digest)
        if !FileManager.default.fileExists(atPath: partial.path), contains(digest) { partial = path(for: digest) }
        guard let input = FileHandle(forReadingAtPath: partial.path) else { return "its chunks are not on disk" }
        var total: Int64 = 0
        do {
            defer { try? input.close() }
            while let piece = try input.read(upToCount: Self.piece), !piece.isEmpty {
                total += Int64(piece.count)
                piece.withUnsafeBytes { hasher.update($0) }
            }
        }
        let found = "\(Self.split(digest).0):\(hex(try hasher.finish()))"
        guard total == size, found == digest else {
            try? FileManager.default.removeItem(at: partial)
            return total == size ? "its reassembled content has digest \(found)" : "its reassembled content is \(total) bytes, not \(size)"
        }
        let final = path(for: digest)
        guard partial != final else { return nil }
        try FileManager.default.createDirectory(at: final.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard rename(partial.path, final.path) == 0 else { throw FerryError(.io, "cannot move a document into \(final.path)") }
        return nil
    }

    /// The first bytes of a stored document, for its media-type check.
    public func prefix(of digest: String) -> [UInt8] {
        guard let input = FileHandle(forReadingAtPath: path(for: digest).path) else { return [] }
        defer { try? input.close() }
        return [UInt8]((try? input.read(upToCount: MediaType.prefixLength)) ?? Data())
    }

    private func makeTemporary() throws -> URL {
        let folder = directory.appendingPathComponent("incoming")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent(".tmp-\(UUID().uuidString.lowercased())")
        guard FileManager.default.createFile(atPath: file.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw FerryError(.io, "cannot create a file in \(folder.path)", hint: "check free space and permissions")
        }
        return file
    }
}

extension FerryError.Code {
    /// A document over the node's `max_document_size`.
    public static let documentTooLarge: Self = "document.too-large"
    /// A document's file could not be read at the source.
    public static let documentUnreadable: Self = "document.unreadable"
}
