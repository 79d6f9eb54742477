public import Foundation
public import FerryQueue
public import FerryCore
public import FerrySeal

extension FerryError.Code {
    public static let auditExport: Self = "audit.export"
}

/// Signed archives of a node's audit log, each chained to the one before (the digest of
/// export n is named in export n+1), so a sequence of exports can be checked offline with
/// public keys only, long after the node's store is gone.
///
/// The file is JSON lines: a header, the entries (each batch entry followed by its record
/// index), the checkpoints signed in the range, and an end line with the digest of every
/// line before it and the node's signature over that digest.
public enum AuditExport {
    public struct Summary: Sendable {
        public var number: Int64
        public var entries: Int
        public var firstSequence: Int64
        public var lastSequence: Int64
        public var digest: String
    }

    /// Writes entries with `since <= at < until` to `file` and records the export in the
    /// store. A regular file is written whole to a temporary name, fsynced, then renamed; a
    /// pipe or device (`/dev/stdout`) is written in place (see `OutputFile`).
    public static func write(_ tx: StoreTransaction, log: AuditLog, since: String, until: String, to file: URL) throws -> Summary {
        let db = tx.db
        guard let signer = log.signer else {
            throw FerryError(.auditExport, "node \(log.node) has no key to sign the export with", hint: "list the node's key under key:")
        }
        let previous = try db.row(sql: "SELECT n, digest FROM audit_exports ORDER BY n DESC LIMIT 1")
        let number = (previous?["n"] as Int64? ?? 0) + 1
        let rows = try db.rows(sql: "SELECT * FROM audit WHERE at >= ? AND at < ? ORDER BY seq", arguments: [since, until])
        guard let first = rows.first, let last = rows.last else {
            throw FerryError(.auditExport, "no audit entries between \(since) and \(until)", hint: "check --since and --until (UTC)")
        }
        let entries = try rows.map(AuditLog.entry)
        let out = try OutputFile(file)
        defer { out.discard() }
        let hasher = try Hasher(.sha256)
        func emit(_ value: Value) throws {
            let line = CanonicalJSON.encode(value) + [0x0A]
            hasher.update(line)
            try out.write(line)
        }
        try emit(.object(["header": .object([
            "format": "ferry-audit-export-v1", "node": .string(log.node), "chain": .string(log.algorithm.rawValue), "n": .int(number),
            "since": .string(since), "until": .string(until), "first_seq": .int(first["seq"]), "last_seq": .int(last["seq"]),
            "previous": .string(previous?["digest"] ?? AuditLog.genesis),
        ])]))
        for entry in entries {
            try emit(.object(["entry": entry.value]))
            if entry.event.details["records_root"] != nil {
                let leaves = try AuditVerifier.leaves(tx, sequence: entry.sequence)
                try emit(.object(["records": .object(["seq": .int(entry.sequence), "leaves": .list(leaves.map(value))])]))
            }
        }
        for checkpoint in try db.rows(sql: "SELECT * FROM audit_checkpoints WHERE seq BETWEEN ? AND ? ORDER BY seq",
            arguments: [first["seq"] as Int64, last["seq"] as Int64])
        {
            var signed: [String: Value] = ["seq": .int(checkpoint["seq"] as Int64)]
            for name in ["at", "head", "key_id", "signature"] { signed[name] = .string(checkpoint[name] as String) }
            try emit(.object(["checkpoint": .object(signed)]))
        }
        let digest = hex(try hasher.finish())
        let signature = try signer.sign(endStatement(node: log.node, number: number, digest: digest))
        try out.write(CanonicalJSON.encode(.object(["end": .object([
            "entries": .int(Int64(entries.count)), "digest": .string(digest), "key_id": .string(signer.keyID), "signature": .string(hex(signature)),
        ])])) + [0x0A])
        try out.commit()
        try db.execute(sql: "INSERT INTO audit_exports(n, at, first_seq, last_seq, digest) VALUES (?, ?, ?, ?, ?)",
            arguments: [number, Timestamp.format(Date()), first["seq"] as Int64, last["seq"] as Int64, digest])
        return Summary(number: number, entries: entries.count, firstSequence: first["seq"], lastSequence: last["seq"], digest: digest)
    }

    static func endStatement(node: String, number: Int64, digest: String) -> [UInt8] {
        CanonicalJSON.encode(.object(["format": "ferry-audit-export-v1", "node": .string(node), "n": .int(number), "digest": .string(digest)]))
    }

    static func value(_ leaf: AuditLeaf) -> Value {
        .list([.string(hex(leaf.key)), .string(hex(leaf.hash))] + (leaf.tag.map { [.string($0)] } ?? []))
    }

    // MARK: verifying

    public struct Check: Sendable {
        public var file: String
        public var node: String
        public var number: Int64
        public var entries: Int
        public var firstSequence: Int64
        public var lastSequence: Int64
        public var digest: String
    }

    /// Checks exports given in order: each file's lines, entries, record indexes and
    /// signature, and the links between files. Throws at the first fault, naming the file
    /// and the line.
    public static func verify(_ files: [URL], keys: [PublicKey]) throws -> [Check] {
        var checks: [Check] = []
        var previousDigest: String?
        var previousLast: (sequence: Int64, hash: String)?
        for file in files {
            let check = try verify(file, keys: keys, previousDigest: previousDigest, previousLast: previousLast)
            checks.append(check.check)
            previousDigest = check.check.digest
            previousLast = check.last
        }
        return checks
    }

    static func verify(_ file: URL, keys: [PublicKey], previousDigest: String?, previousLast: (sequence: Int64, hash: String)?) throws
        -> (check: Check, last: (sequence: Int64, hash: String))
    {
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw FerryError(.auditExport, "cannot read \(file.path)", hint: "check the path")
        }
        let bytes = [UInt8](data)
        var reading = try ExportReading(name: file.lastPathComponent, keys: keys, previousDigest: previousDigest, previousLast: previousLast)
        var start = 0
        while start < bytes.count {
            let stop = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            try reading.read(Array(bytes[start..<stop]))
            start = stop + 1
        }
        return try reading.finish()
    }

    /// One export file read line by line: what its lines so far established, and what each
    /// next line must match. Every fault names the file and the line it was found on.
    struct ExportReading {
        let name: String
        let keys: [PublicKey]
        /// The digest and last entry of the export before this one, which this one must chain to.
        let previousDigest: String?
        let previousLast: (sequence: Int64, hash: String)?
        let hasher: Hasher
        var lineNumber = 0
        var header: [String: Value] = [:]
        var algorithm = Hasher.Algorithm.sha256
        var previousHash: String?
        var last: (sequence: Int64, hash: String)?
        /// Batch entries whose record index has not come yet: their records_root and keys_digest.
        var roots: [Int64: (root: String, keys: String)] = [:]
        var hashes: [Int64: String] = [:]
        var entries = 0
        var end: [String: Value]?

        init(name: String, keys: [PublicKey], previousDigest: String?, previousLast: (sequence: Int64, hash: String)?) throws {
            (self.name, self.keys, self.previousDigest, self.previousLast) = (name, keys, previousDigest, previousLast)
            hasher = try Hasher(.sha256)
        }

        func fault(_ message: String, hint: String = "the export was altered, or is not a Ferry audit export") -> FerryError {
            FerryError(.auditExport, message, at: .file(SourceLocation(file: name, line: lineNumber, column: 1)), hint: hint)
        }

        /// One line, without its newline: a one-key object naming the record kind.
        mutating func read(_ line: [UInt8]) throws {
            lineNumber += 1
            guard end == nil else { throw fault("text after the end line") }
            guard case .object(let object)? = try? CanonicalJSON.decode(line), let (kind, body) = object.first, object.count == 1,
                case .object(let fields) = body
            else { throw fault("line \(lineNumber) is not an export record") }
            // The end line carries the digest of every line before it, so is not part of it.
            if kind != "end" { hasher.update(line + [0x0A]) }
            switch kind {
            case "header": try readHeader(fields)
            case "entry": try readEntry(fields)
            case "records": try readRecordIndex(fields)
            case "checkpoint": try readCheckpoint(fields)
            case "end": end = fields
            default: throw fault("unknown record '\(kind)'")
            }
        }

        /// The first line: format, node, hash chain algorithm and the link to the export before.
        mutating func readHeader(_ fields: [String: Value]) throws {
            guard lineNumber == 1, fields["format"]?.text == "ferry-audit-export-v1" else { throw fault("the header is missing or of another format") }
            header = fields
            algorithm = Hasher.Algorithm(rawValue: fields["chain"]?.text ?? "") ?? .sha256
            if let previousDigest, fields["previous"]?.text != previousDigest {
                throw fault("export \(fields["n"]?.text ?? "?") does not chain to the export before it",
                    hint: "an export is missing between the two, or they are out of order")
            }
        }

        /// An audit entry: it must chain to the one before (across files too) and hash to its content.
        mutating func readEntry(_ fields: [String: Value]) throws {
            guard case .int(let sequence)? = fields["seq"], let hash = fields["hash"]?.text, let prev = fields["prev_hash"]?.text else {
                throw fault("an entry lacks seq, hash or prev_hash")
            }
            if let previousHash, prev != previousHash {
                throw fault("entry \(sequence) does not chain to the entry before it", hint: "an entry was removed, inserted or moved")
            }
            if previousHash == nil, let previousLast {
                guard previousLast.sequence + 1 == sequence else {
                    throw fault("entries \(previousLast.sequence + 1)…\(sequence - 1) are in none of the exports given",
                        hint: "give every export of the node, in order")
                }
                guard prev == previousLast.hash else {
                    throw fault("entry \(sequence) does not chain to entry \(previousLast.sequence), the last of the previous export")
                }
            }
            let entry = try AuditExport.entry(fields, sequence: sequence, previousHash: prev)
            guard try AuditLog.hash(entry, algorithm) == hash else {
                throw fault("entry \(sequence) (\(entry.event.kind.rawValue)) was altered: its hash does not match its content")
            }
            if case .string(let root)? = entry.event.details["records_root"] { roots[sequence] = (root, entry.event.details["keys_digest"]?.text ?? "") }
            hashes[sequence] = hash
            previousHash = hash
            last = (sequence, hash)
            entries += 1
        }

        /// The record index of the batch entry before it: its leaves must give that entry's
        /// records_root and keys_digest.
        mutating func readRecordIndex(_ fields: [String: Value]) throws {
            guard case .int(let sequence)? = fields["seq"], case .list(let items)? = fields["leaves"], let root = roots.removeValue(forKey: sequence) else {
                throw fault("a record index names no batch entry before it")
            }
            let leaves = items.compactMap { item -> AuditLeaf? in
                guard case .list(let parts) = item, parts.count >= 2, let key = parts[0].text.flatMap(unhex), let hash = parts[1].text.flatMap(unhex)
                else { return nil }
                return AuditLeaf(key: key, hash: hash, tag: parts.count > 2 ? parts[2].text : nil)
            }
            guard leaves.count == items.count, hex(MerkleTree.root(leafHashes: leaves.map(\.merkleLeaf))) == root.root,
                AuditLog.keysDigest(leaves) == root.keys
            else {
                throw fault("the record index of entry \(sequence) does not match its records_root")
            }
        }

        /// A signed checkpoint: it must name the hash of an entry in this export, signed by a
        /// trusted key of the node.
        func readCheckpoint(_ fields: [String: Value]) throws {
            guard case .int(let sequence)? = fields["seq"], let head = fields["head"]?.text, hashes[sequence] == head,
                let node = header["node"]?.text, let key = keys.first(where: { $0.keyID == fields["key_id"]?.text && $0.node == node }),
                key.verify(signature: fields["signature"]?.text.flatMap(unhex) ?? [],
                    of: AuditLog.checkpointStatement(node: node, sequence: sequence, head: head, at: fields["at"]?.text ?? "", chain: algorithm.rawValue))
            else {
                throw fault("a checkpoint does not verify against the entry it signs", hint: "the checkpoint or the entry was forged or altered")
            }
        }

        /// After the last line: every batch has its index, and the end line's digest, count
        /// and signature match.
        func finish() throws -> (check: Check, last: (sequence: Int64, hash: String)) {
            if let missing = roots.keys.min() {
                throw fault("entry \(missing) has a records_root but the export holds no record index for it")
            }
            guard let end, let node = header["node"]?.text, case .int(let number)? = header["n"] else {
                throw fault("the export ends without its end line", hint: "the file was cut short")
            }
            let digest = hex(try hasher.finish())
            guard end["digest"]?.text == digest, case .int(let count)? = end["entries"], count == Int64(entries) else {
                throw fault("the export's digest or entry count does not match its content")
            }
            guard let key = keys.first(where: { $0.keyID == end["key_id"]?.text && $0.node == node }),
                key.verify(signature: end["signature"]?.text.flatMap(unhex) ?? [], of: endStatement(node: node, number: number, digest: digest))
            else {
                throw fault("the export's signature does not verify with a key of \(node)", hint: "the export was forged, or the node's .pub is not in the trust list")
            }
            guard let last else { throw fault("the export holds no entries") }
            let check = Check(file: name, node: node, number: number, entries: entries, firstSequence: header["first_seq"].flatMap { if case .int(let v) = $0 { v } else { nil } } ?? 0,
                lastSequence: last.sequence, digest: digest)
            return (check, last)
        }
    }

    static func entry(_ fields: [String: Value], sequence: Int64, previousHash: String) throws -> AuditEntry {
        guard case .object(let details)? = fields["details"] else { throw FerryError(.auditExport, "entry \(sequence) has no details") }
        let event = AuditEvent(AuditEvent.Kind(rawValue: fields["kind"]?.text ?? ""), actor: fields["actor"]?.text ?? "", flow: fields["flow"]?.text,
            lane: fields["lane"]?.text, bundle: fields["bundle"]?.text, subject: fields["subject"]?.text, keyDigest: fields["key"]?.text, details: details)
        return AuditEntry(sequence: sequence, at: fields["at"]?.text ?? "", node: fields["node"]?.text ?? "", event: event,
            previousHash: previousHash, hash: fields["hash"]?.text ?? "")
    }
}
