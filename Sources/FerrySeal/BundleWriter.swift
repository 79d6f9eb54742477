public import Foundation
public import FerryCore

/// A sealed bundle on local disk, named by its content hash.
public struct SealedBundle: Sendable {
    public var url: URL
    public var header: BundleHeader
    /// The content hash the file is named by (`<contentHash>.bundle`).
    public var contentHash: String
    public var size: Int64
}

/// Seals records into a bundle, streaming: lines are compressed to a work file as they
/// arrive, then encrypted chunk by chunk, so memory stays flat however many records go in.
public final class BundleWriter {
    public struct Parameters: Sendable {
        public var kind: BundleHeader.Kind = .records
        public var lane: String
        public var sequence: Int64
        public var lifetime: TimeInterval = 30 * 24 * 3600
        public var chunkSize: Int = BundleLayout.defaultChunkSize
        public var now: Date = Date()
        /// The bundle id; random unless the caller reserved one in its ledger.
        public var id: String?
        /// zstd level; 3 balances speed and size for record data.
        public var compressionLevel: Int32 = 3

        public init(lane: String, sequence: Int64, kind: BundleHeader.Kind = .records) {
            self.lane = lane
            self.sequence = sequence
            self.kind = kind
        }
    }

    private let directory: URL
    private let sender: NodeKey
    private let recipients: [PublicKey]
    private let parameters: Parameters
    private let compressor: ZstdCompressor
    private let workFile: URL
    private let work: FileHandle
    private var merkle = MerkleTree()
    private var plainSize: Int64 = 0
    private var compressedSize: Int64 = 0
    private var pending: [UInt8] = []
    /// Only set for tests that need to check the payload layer independently.
    var exposeFileKey: (([UInt8]) -> Void)?

    /// - Parameter directory: where the finished bundle (and a transient work file) go.
    public init(directory: URL, sender: NodeKey, recipients: [PublicKey], parameters: Parameters) throws {
        guard !recipients.isEmpty else { throw FerryError(.crypto, "a bundle needs at least one recipient") }
        for key in recipients where key.suite != sender.suite {
            throw FerryError(.bundleSuiteMismatch, "key \(key.keyID) of \(key.node) is \(key.suite), the sender seals with \(sender.suite)",
                hint: "give every node on this channel a key of the channel's suite")
        }
        self.directory = directory
        self.sender = sender
        self.recipients = recipients
        self.parameters = parameters
        self.compressor = try ZstdCompressor(level: parameters.compressionLevel)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        workFile = directory.appendingPathComponent(".seal-\(hex(try randomBytes(8))).zst")
        // The work file holds compressed plaintext: owner-only from the start.
        guard FileManager.default.createFile(atPath: workFile.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw FerryError(.io, "cannot create \(workFile.path)", hint: "check free space and permissions of \(directory.path)")
        }
        work = try FileHandle(forWritingTo: workFile)
    }

    deinit {
        try? work.close()
        try? FileManager.default.removeItem(at: workFile)
    }

    /// Adds one record, already in its canonical one-line form (no newline).
    public func append(line: [UInt8]) throws {
        merkle.append(leaf: line)
        pending.append(contentsOf: line)
        pending.append(0x0A)
        plainSize += Int64(line.count + 1)
        if pending.count >= 256 * 1024 { try flush(end: false) }
    }

    public var recordCount: Int { merkle.count }

    private func flush(end: Bool) throws {
        try pending.withUnsafeBytes { raw in
            try compressor.compress(raw, end: end) { piece in
                compressedSize += Int64(piece.count)
                try work.writeAll(piece)
            }
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// Encrypts, signs and names the bundle; returns where it is.
    public func finish() throws -> SealedBundle {
        try flush(end: true)
        try work.close()
        let suite = sender.engine
        let fileKey = try randomBytes(32)
        exposeFileKey?(fileKey)
        // The header carries whole seconds; the returned header must equal what a reader parses.
        let created = Date(timeIntervalSince1970: parameters.now.timeIntervalSince1970.rounded(.down))
        let header = BundleHeader(
            id: try parameters.id ?? hex(randomBytes(16)), kind: parameters.kind, sender: sender.node, senderKey: sender.keyID,
            recipients: recipients.map(\.keyID), lane: parameters.lane, sequence: parameters.sequence,
            created: created, expires: created.addingTimeInterval(parameters.lifetime.rounded(.down)),
            suite: suite.name, records: merkle.count, plainSize: plainSize, compressedSize: compressedSize,
            chunkSize: parameters.chunkSize, merkleRoot: hex(merkle.root))
        let headerBytes = header.encoded
        let headerDigest = try Hasher.digest(headerBytes, suite.hash)

        var prefix = BundleLayout.magic + BundleLayout.be16(BundleLayout.version)
        prefix += BundleLayout.be32(UInt32(headerBytes.count)) + headerBytes
        prefix += BundleLayout.be16(UInt16(recipients.count))
        for recipient in recipients {
            let id = Array(recipient.keyID.utf8)
            let wrapped = try suite.wrap(fileKey: fileKey, for: recipient, headerDigest: headerDigest)
            prefix += [UInt8(id.count)] + id + BundleLayout.be16(UInt16(wrapped.count)) + wrapped
        }

        let output = directory.appendingPathComponent(".seal-\(header.id).tmp")
        guard FileManager.default.createFile(atPath: output.path, contents: nil) else {
            throw FerryError(.io, "cannot create \(output.path)", hint: "check free space and permissions of \(directory.path)")
        }
        let out = try FileHandle(forWritingTo: output)
        var keepOutput = false
        defer {
            try? out.close()
            if !keepOutput { try? FileManager.default.removeItem(at: output) }
        }
        let signed = try Hasher(suite.hash)
        signed.update(prefix)
        try out.writeAll(prefix)

        let aad = try Hasher.digest(prefix, suite.hash)
        let cipher = try suite.chunkCipher(fileKey: fileKey)
        let input = try FileHandle(forReadingFrom: workFile)
        defer { try? input.close() }
        let chunks = BundleLayout.chunkCount(compressedSize: compressedSize, chunkSize: parameters.chunkSize)
        // Chunks are sealed a batch at a time on every core; digest and file stay in order.
        var counter: Int64 = 0
        while counter < chunks {
            var batch: [Data] = []
            while batch.count < ParallelChunks.batch && counter + Int64(batch.count) < chunks {
                batch.append(try input.read(upToCount: parameters.chunkSize) ?? Data())
            }
            let sealedBatch = try ParallelChunks.seal(batch, first: counter, total: chunks, suite: suite, fileKey: fileKey, aad: aad)
            for sealed in sealedBatch {
                if suite.signsTags {
                    signed.update(Array(sealed.suffix(cipher.tagSize)))
                } else {
                    signed.update(sealed)
                }
                try out.writeAll(sealed)
            }
            counter += Int64(batch.count)
        }

        let digest = try signed.finish()
        let signature = try suite.sign(BundleLayout.signatureContext + digest, with: sender.signing)
        let trailer = signature + BundleLayout.be16(UInt16(signature.count))
        try out.writeAll(trailer)
        try out.synchronize()
        try out.close()

        let contentHash = hex(try Hasher.digest(digest + trailer, suite.hash))
        let final = directory.appendingPathComponent("\(contentHash).bundle")
        try? FileManager.default.removeItem(at: final)
        try FileManager.default.moveItem(at: output, to: final)
        keepOutput = true
        let size = Int64(prefix.count) + compressedSize + chunks * Int64(cipher.tagSize) + Int64(trailer.count)
        return SealedBundle(url: final, header: header, contentHash: contentHash, size: size)
    }
}
