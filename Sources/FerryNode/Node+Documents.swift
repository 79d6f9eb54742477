import Foundation
import FerryCore
import FerryMapping
import FerryQueue
import FerryAudit
import FerrySeal
import FerryAdapters

extension FerryError.Code {
    /// The receive hook could not run (not found, a timeout): intake stops and resumes later.
    static let documentHookUnavailable: Self = "document.hook-unavailable"
}

/// FerrySeal's digest as the blob store's hasher (the store knows no crypto).
final class DocumentHasher: ContentHasher {
    private let hasher: FerrySeal.Hasher
    init(_ algorithm: FerrySeal.Hasher.Algorithm) throws { hasher = try FerrySeal.Hasher(algorithm) }
    func update(_ bytes: UnsafeRawBufferPointer) { hasher.update(bytes) }
    func finish() throws -> [UInt8] { try hasher.finish() }
}

extension Node {
    /// Where this node keeps document content: `NODE.blobs/` beside its store.
    var blobs: BlobStore { BlobStore(directory: store.directory.appendingPathComponent("\(name).blobs")) }

    /// The digest algorithm of documents this node stores: SM3 where its record digests
    /// are HMAC-SM3 (the SM suite), SHA-256 otherwise.
    var documentAlgorithm: FerrySeal.Hasher.Algorithm { digester?.algorithm == .hmacSM3 ? .sm3 : .sha256 }

    /// A record's documents stored in the blob store and digested: each reference the
    /// mapping made from a source file or a BLOB gets its digest, size and media type (from
    /// the mapping, or sniffed from its first bytes) and points at the stored copy.
    /// - Throws: `MappingIssue` (rule `document`) for a file that cannot be read, is over
    ///   `max_document_size`, or is not what its declared media type says: the record is
    ///   quarantined with that reason.
    func storeDocuments(of record: FerryCore.Record) throws -> FerryCore.Record {
        var record = record
        for (field, value) in record.fields {
            guard case .document(let reference) = value, !reference.isStored else { continue }
            record.fields[field] = .document(try store(reference, field: field))
        }
        return record
    }

    private func store(_ reference: DocumentRef, field: String) throws -> DocumentRef {
        var reference = reference
        let stored: BlobStore.Stored
        do {
            stored = try blobs.store(file: reference.localPath.map { URL(fileURLWithPath: $0) }, data: reference.content,
                algorithm: documentAlgorithm.rawValue, hasher: DocumentHasher(documentAlgorithm), maxSize: config.maxDocumentSize)
        } catch let error as FerryError where error.code == .documentTooLarge || error.code == .documentUnreadable {
            throw MappingIssue(field: field, rule: "document", message: "\(error.message); \(error.hint ?? "")")
        }
        if reference.mediaType.isEmpty { reference.mediaType = MediaType.sniff(stored.prefix) }
        if let mismatch = MediaType.mismatch(declared: reference.mediaType, prefix: stored.prefix) {
            throw MappingIssue(field: field, rule: "media_type", message: "document \(OutsideText.describe(reference.name)): \(mismatch)")
        }
        reference.digest = stored.digest
        reference.size = stored.size
        reference.content = nil
        reference.localPath = blobs.path(for: stored.digest).path
        reference.signature = try note(reference)
        return reference
    }

    /// Notes a document just stored, audited the first time, and signs it when the node
    /// signs its documents: once, so every later record naming it carries the same
    /// signature (and an unchanged row reads back unchanged).
    /// - Returns: the node's signature over it, if it signs.
    private func note(_ reference: DocumentRef) throws -> DocumentSignature? {
        try store.write { tx in
            let known = try tx.documents.entry(reference.digest)
            if let text = known?.signature, case .object(let members)? = try? CanonicalJSON.decode(Array(text.utf8)),
                let kept = DocumentSignature(members: members)
            {
                return kept
            }
            var signature: DocumentSignature?
            if config.signDocuments {
                let suite = documentAlgorithm == .sm3 ? "sm2-sm4-sm3" : "x25519-aes256gcm-ed25519"
                guard let key = keys.last(where: { $0.suite == suite }) ?? keys.last else { return nil }
                signature = try DocumentSigning.sign(reference, with: key)
            }
            try tx.documents.stored(reference.digest, size: reference.size,
                signature: signature.map { String(decoding: CanonicalJSON.encode(.object($0.members)), as: UTF8.self) },
                mediaType: reference.mediaType, name: reference.name)
            if known?.state != .whole {
                try audit.append(tx, AuditEvent(.documentStored, subject: reference.digest, details: [
                    "digest": .string(reference.digest), "size": .int(reference.size), "media_type": .string(reference.mediaType),
                    "signed": .bool(signature != nil),
                ]))
            }
            return signature
        }
    }

    /// In the enqueue transaction: owes each lane the records' documents it has not
    /// carried before.
    func oweDocuments(_ tx: StoreTransaction, records: [FerryCore.Record], lanes: [String]) throws {
        var seen = Set<String>()
        let owed = records.flatMap(\.documents).filter { seen.insert($0.digest).inserted }.map { (digest: $0.digest, size: $0.size) }
        for lane in lanes { try tx.documents.owe(lane: lane, owed) }
    }

    /// The signed documents of a row that a target requiring signatures accepted: digest and signer.
    func verifiedSignatures(_ values: [String: Value], mapping: Mapping) -> [(digest: String, signer: String)] {
        mapping.rules.compactMap { rule in
            guard !rule.requireSignature.isEmpty, let column = rule.column, case .document(let reference)? = values[column],
                let signature = reference.signature else { return nil }
            return (reference.digest, signature.signer)
        }
    }

    /// Why a sink row may not be written: a document field of the target's mapping that
    /// requires a signature by certain nodes names a document without a valid one.
    func signatureRefusal(_ values: [String: Value], mapping: Mapping) -> (digest: String, reason: String)? {
        for rule in mapping.rules where !rule.requireSignature.isEmpty {
            guard let column = rule.column, case .document(let reference)? = values[column] else { continue }
            if let reason = DocumentSigning.refusal(reference, issuers: rule.requireSignature, trust: trust) { return (reference.digest, reason) }
        }
        return nil
    }

    /// Reserves and seals the documents `lane` owes, one `documents` bundle per
    /// `bundle_bytes` of content, so a document larger than a bundle spans several and
    /// each part can be resent on its own.
    /// - Returns: the ids of the bundles sealed, in sequence order.
    func sealDocuments(lane laneName: String) throws -> [String] {
        let (lane, _) = try route(laneName)
        let partSize = Int64(max(lane.policy.bundleBytes, DocumentChunkLine.contentPerLine))
        var sealed: [String] = []
        for document in try store.read({ tx in try tx.documents.owed(lane: laneName) }) {
            var first: Int64 = 0
            repeat {
                let end = min(document.size, first + partSize)
                let id = hex(try randomBytes(16))
                let sequence = try store.write { tx in
                    let sequence = try tx.ledger.reserve(id: id, lane: laneName, kind: .documents, records: Self.chunkCount(end - first))
                    try tx.documents.assign(bundle: id, digest: document.digest, first: first, end: end)
                    if end == document.size { try tx.documents.sealed(lane: laneName, digest: document.digest) }
                    return sequence
                }
                try sealDocumentPart(id: id, lane: laneName, sequence: sequence, digest: document.digest, size: document.size, first: first, end: end)
                sealed.append(id)
                first = end
            } while first < document.size
        }
        return sealed
    }

    /// Lines of content [first, end): one per `DocumentChunkLine.contentPerLine`; an empty
    /// document still has one (empty) line, so its arrival is seen.
    static func chunkCount(_ bytes: Int64) -> Int {
        max(1, Int((bytes + Int64(DocumentChunkLine.contentPerLine) - 1) / Int64(DocumentChunkLine.contentPerLine)))
    }

    /// Seals bytes [first, end) of a stored document as one `documents` bundle, reading the
    /// blob a line at a time. Also what a crash-interrupted seal is finished with.
    func sealDocumentPart(id: String, lane: String, sequence: Int64, digest: String, size: Int64, first: Int64, end: Int64) throws {
        guard let input = FileHandle(forReadingAtPath: blobs.path(for: digest).path) else {
            throw FerryError(.io, "document \(digest) is gone from \(blobs.directory.path)",
                hint: "restore the blob store from a backup; the lane's later bundles wait behind this one")
        }
        defer { try? input.close() }
        try input.seek(toOffset: UInt64(first))
        var offset = first
        let entry = try store.read { tx in try tx.documents.entry(digest) }
        let carried = BundleManifest.Document(digest: digest, size: size, mediaType: entry?.mediaType ?? MediaType.octetStream,
            name: entry?.name ?? "", offset: first, length: end - first)
        try seal(id: id, lane: lane, sequence: sequence, kind: .documents, lineCount: Self.chunkCount(end - first), documents: [carried]) { append in
            repeat {
                let count = Int(min(Int64(DocumentChunkLine.contentPerLine), end - offset))
                let data = [UInt8](try input.read(upToCount: count) ?? Data())
                guard data.count == count else { throw FerryError(.io, "document \(digest) is shorter than its \(size) bytes") }
                try append(DocumentChunkLine(digest: digest, size: size, offset: offset, data: data).line)
                offset += Int64(count)
            } while offset < end
        }
    }

    /// Takes in one chunk line of a `documents` bundle, inside the intake transaction.
    /// - Returns: the chunk's document, and whether this chunk completed its bytes.
    func takeChunk(_ line: [UInt8], _ tx: StoreTransaction) throws -> (digest: String, size: Int64, whole: Bool) {
        let chunk = try DocumentChunkLine(line: line)
        if try tx.documents.entry(chunk.digest)?.state == .whole { return (chunk.digest, chunk.size, false) }
        // Already in place from an intake that rolled back: counted, not written again.
        if !blobs.contains(chunk.digest) { try blobs.writeChunk(digest: chunk.digest, offset: chunk.offset, bytes: chunk.data) }
        let received = try tx.documents.received(digest: chunk.digest, size: chunk.size, offset: chunk.offset, length: chunk.data.count)
        return (chunk.digest, chunk.size, received >= chunk.size)
    }

    /// Checks a document whose bytes are all in: its digest, then the media type its
    /// records declare. Whole, it frees the records that waited for it; refused, they are
    /// rejected with the reason, and both are audited with the digest.
    /// - Returns: how many records it rejected.
    @discardableResult
    func finishDocument(_ digest: String, size: Int64, lane: String, bundle: String, _ tx: StoreTransaction) throws -> Int {
        let algorithm = FerrySeal.Hasher.Algorithm(rawValue: String(digest.prefix { $0 != ":" })) ?? .sha256
        var failure = try blobs.complete(digest: digest, size: size, hasher: DocumentHasher(algorithm))
        if failure == nil, !config.receiveHook.isEmpty {
            // The scan runs on the verified file in place; a document it refuses is removed.
            let hook = ReceiveHook(command: config.receiveHook, timeoutSeconds: config.receiveHookTimeout)
            switch hook.verdict(for: blobs.path(for: digest)) {
            case .accepted: break
            case .refused(let reason):
                failure = reason
                try? FileManager.default.removeItem(at: blobs.path(for: digest))
            case .unavailable(let reason):
                // A scanner that could not run says nothing about the document: the bundle is
                // taken in again on the next run, and the document checked then.
                throw FerryError(.documentHookUnavailable, reason, hint: "fix the receive_hook or the scanner it runs; intake resumes on the next run")
            }
        }
        if let failure {
            let waiting = try tx.documents.rejected(digest, reason: failure)
            for record in waiting {
                try tx.inbox.settlePending(bundle: record.bundle, key: record.key, outcome: .rejected,
                    detail: Self.refusedDetail(digest, failure))
            }
            try audit.append(tx, AuditEvent(.documentRejected, lane: lane, bundle: bundle, subject: digest, details: [
                "digest": .string(digest), "reason": .string(failure), "records": .int(Int64(waiting.count)),
            ]))
            logger.warning("document rejected", metadata: ["digest": .string(digest), "reason": .string(failure)])
            return waiting.count
        }
        try tx.documents.completed(digest)
        try audit.append(tx, AuditEvent(.documentReassembled, lane: lane, bundle: bundle, subject: digest, details: [
            "digest": .string(digest), "size": .int(size),
        ]))
        return 0
    }

    /// In the staging transaction, after the record is staged: it waits for each document it
    /// names that is not here whole yet, and is rejected at once when one of them was
    /// refused on arrival before (its bundles came first).
    /// - Returns: whether the record was rejected.
    func awaitDocuments(of record: FerryCore.Record, bundle: String, _ tx: StoreTransaction) throws -> Bool {
        for reference in record.documents {
            let entry = try tx.documents.entry(reference.digest)
            switch entry?.state {
            case .whole?: continue
            case .rejected?:
                try tx.inbox.settlePending(bundle: bundle, key: record.keyString, outcome: .rejected,
                    detail: Self.refusedDetail(reference.digest, entry?.reason ?? "it failed its check on arrival"))
                return true
            case .partial?, nil:
                try tx.documents.wait(bundle: bundle, key: record.keyString, digest: reference.digest)
            }
        }
        return false
    }

    /// A record's outcome detail when its document was refused on arrival.
    static func refusedDetail(_ digest: String, _ reason: String) -> String {
        "document \(digest) was refused on arrival: \(reason); the record cannot be applied until the sender sends the document again"
    }

    /// Points each document a sink row names at this node's copy.
    func locateDocuments(_ values: [String: Value]) -> [String: Value] {
        values.mapValues { value in
            guard case .document(var reference) = value else { return value }
            reference.localPath = blobs.path(for: reference.digest).path
            return .document(reference)
        }
    }
}
