public import FerryCore

/// Something that happened, before it is sequenced and chained into the log.
public struct AuditEvent: Sendable {
    /// What kind of step this was; stable strings because auditors filter on them.
    public struct Kind: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { rawValue = value }

        public static let configLoaded: Self = "config.loaded"
        public static let pulled: Self = "pulled"
        public static let mapped: Self = "mapped"
        public static let quarantined: Self = "quarantined"
        public static let enqueued: Self = "enqueued"
        public static let sealed: Self = "sealed"
        public static let shipped: Self = "shipped"
        public static let received: Self = "received"
        public static let rejected: Self = "rejected"
        public static let applied: Self = "applied"
        public static let receipted: Self = "receipted"
        public static let delivered: Self = "delivered"
        public static let keyGenerated: Self = "key.generated"
    }

    public var kind: Kind
    public var actor: String
    public var flow: String?
    public var lane: String?
    public var bundle: String?
    /// A masked record key or a digest, never a plaintext personal value.
    public var subject: String?
    public var details: [String: Value]

    public init(
        _ kind: Kind, actor: String = "ferry", flow: String? = nil, lane: String? = nil, bundle: String? = nil,
        subject: String? = nil, details: [String: Value] = [:]
    ) {
        self.kind = kind
        self.actor = actor
        self.flow = flow
        self.lane = lane
        self.bundle = bundle
        self.subject = subject
        self.details = details
    }
}

/// One sequenced, chained entry of the log.
public struct AuditEntry: Sendable {
    public var sequence: Int64
    public var at: String
    public var node: String
    public var event: AuditEvent
    public var previousHash: String
    public var hash: String

    /// The bytes the entry's hash covers, besides the previous hash.
    var canonical: [UInt8] {
        var object: [String: Value] = [
            "seq": .int(sequence), "at": .string(at), "node": .string(node), "actor": .string(event.actor),
            "kind": .string(event.kind.rawValue), "details": .object(event.details),
        ]
        if let flow = event.flow { object["flow"] = .string(flow) }
        if let lane = event.lane { object["lane"] = .string(lane) }
        if let bundle = event.bundle { object["bundle"] = .string(bundle) }
        if let subject = event.subject { object["subject"] = .string(subject) }
        return CanonicalJSON.encode(.object(object))
    }
}
