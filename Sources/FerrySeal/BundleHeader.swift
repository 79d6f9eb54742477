public import Foundation
public import FerryCore

/// The plain, signed header of a bundle; readable without any key (`ferry bundle inspect`).
public struct BundleHeader: Sendable, Equatable {
    public typealias Kind = BundleKind

    public var id: String
    public var kind: Kind
    public var sender: String
    public var senderKey: String
    public var recipients: [String]
    /// The lane, e.g. `extranet→jinhong`; sequence numbers count per lane.
    public var lane: String
    public var sequence: Int64
    public var created: Date
    public var expires: Date
    public var suite: String
    public var records: Int
    public var plainSize: Int64
    public var compressedSize: Int64
    public var chunkSize: Int
    public var merkleRoot: String

    static let format = "ferry-bundle"

    var value: Value {
        .object([
            "format": .string(Self.format),
            "id": .string(id), "kind": .string(kind.rawValue),
            "sender": .string(sender), "sender_key": .string(senderKey),
            "recipients": .list(recipients.map(Value.string)),
            "lane": .string(lane), "sequence": .int(sequence),
            "created": .string(Timestamp.format(created)), "expires": .string(Timestamp.format(expires)),
            "suite": .string(suite), "records": .int(Int64(records)),
            "plain_size": .int(plainSize), "compressed_size": .int(compressedSize),
            "chunk_size": .int(Int64(chunkSize)), "merkle_root": .string(merkleRoot),
        ])
    }

    var encoded: [UInt8] { CanonicalJSON.encode(value) }

    /// The header as pretty JSON for people and scripts.
    public var json: String { String(decoding: CanonicalJSON.encode(value), as: UTF8.self) }

    /// Parses and shape-checks a header. Every text field is checked against the shape Ferry
    /// writes (see `Shape`), so what a header says can be echoed into reasons, logs and the
    /// audit log without carrying markup or control characters; a refusal names the field,
    /// never its value.
    /// - Throws: `bundle.malformed` at `offset` of `bundle`.
    init(decoding bytes: [UInt8], bundle: String, offset: Int) throws {
        func bad(_ message: String) -> FerryError {
            FerryError(.bundleMalformed, "header: \(message)", at: .bundle(id: bundle, offset: offset),
                hint: "the file is not a Ferry bundle or was damaged; ask the sender to resend")
        }
        guard case .object(let o)? = try? CanonicalJSON.decode(bytes) else { throw bad("not a JSON object") }
        func string(_ k: String) throws -> String {
            guard case .string(let s)? = o[k] else { throw bad("'\(k)' missing or not text") }
            return s
        }
        func shaped(_ k: String, _ shape: Shape) throws -> String {
            let s = try string(k)
            guard shape.admits(s) else { throw bad("'\(k)' is not \(shape.description)") }
            return s
        }
        func int(_ k: String) throws -> Int64 {
            guard case .int(let i)? = o[k], i >= 0 else { throw bad("'\(k)' missing or not a count") }
            return i
        }
        func date(_ k: String) throws -> Date {
            guard let d = Timestamp.parse(try string(k)) else { throw bad("'\(k)' is not a UTC timestamp") }
            return d
        }
        guard try string("format") == Self.format else { throw bad("format is not \(Self.format)") }
        guard let kind = Kind(rawValue: try string("kind")), kind.isSealed else { throw bad("unknown kind") }
        guard case .list(let list)? = o["recipients"], (1...64).contains(list.count) else { throw bad("'recipients' missing or not 1 to 64 key ids") }
        var recipients: [String] = []
        for item in list {
            guard case .string(let s) = item, Shape.keyID.admits(s) else { throw bad("'recipients' holds an entry that is not \(Shape.keyID.description)") }
            recipients.append(s)
        }
        self.id = try shaped("id", .bundleID)
        self.kind = kind
        self.sender = try shaped("sender", .identifier)
        self.senderKey = try shaped("sender_key", .keyID)
        self.recipients = recipients
        self.lane = try shaped("lane", .lane)
        self.sequence = try int("sequence")
        self.created = try date("created")
        self.expires = try date("expires")
        self.suite = try shaped("suite", .identifier)
        self.records = Int(try int("records"))
        self.plainSize = try int("plain_size")
        self.compressedSize = try int("compressed_size")
        self.chunkSize = Int(try int("chunk_size"))
        self.merkleRoot = try shaped("merkle_root", .digest)
        guard chunkSize >= 1024 && chunkSize <= 1 << 24 else { throw bad("chunk_size out of range") }
    }

    /// The shapes of a header's text fields, as `BundleWriter`, `NodeKey` and `Lane` write them.
    enum Shape: CustomStringConvertible {
        /// A node or suite name: `[A-Za-z0-9][A-Za-z0-9._-]{0,63}`.
        case identifier
        /// `FROM→TO`, two zone identifiers.
        case lane
        /// 16 random bytes as 32 lowercase hex digits.
        case bundleID
        /// A key id: the first 8 bytes of SHA-256 as 16 lowercase hex digits.
        case keyID
        /// A SHA-256 Merkle root: 64 lowercase hex digits.
        case digest

        func admits(_ text: String) -> Bool {
            switch self {
            case .identifier: return OutsideText.isIdentifier(text)
            case .bundleID: return OutsideText.isLowercaseHex(text, count: 32)
            case .keyID: return OutsideText.isLowercaseHex(text, count: 16)
            case .digest: return OutsideText.isLowercaseHex(text, count: 64)
            case .lane:
                return LaneID(text, identifiers: true) != nil
            }
        }

        var description: String {
            switch self {
            case .identifier: return "a simple identifier"
            case .lane: return "FROM→TO of two simple identifiers"
            case .bundleID: return "32 lowercase hex digits"
            case .keyID: return "a key id (16 lowercase hex digits)"
            case .digest: return "64 lowercase hex digits"
            }
        }
    }

    init(
        id: String, kind: Kind, sender: String, senderKey: String, recipients: [String], lane: String, sequence: Int64,
        created: Date, expires: Date, suite: String, records: Int, plainSize: Int64, compressedSize: Int64,
        chunkSize: Int, merkleRoot: String
    ) {
        self.id = id
        self.kind = kind
        self.sender = sender
        self.senderKey = senderKey
        self.recipients = recipients
        self.lane = lane
        self.sequence = sequence
        self.created = created
        self.expires = expires
        self.suite = suite
        self.records = records
        self.plainSize = plainSize
        self.compressedSize = compressedSize
        self.chunkSize = chunkSize
        self.merkleRoot = merkleRoot
    }
}

