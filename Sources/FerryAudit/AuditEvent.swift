public import FerryCore
import FerrySeal

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
        public static let conflict: Self = "conflict"
        public static let deadLettered: Self = "dead-lettered"
        public static let keyGenerated: Self = "key.generated"
        public static let keyRotated: Self = "key.rotated"
        public static let keyRetired: Self = "key.retired"
        public static let reconciled: Self = "reconciled"
        public static let consoleLogin: Self = "console.login"
        public static let consoleLoginFailed: Self = "console.login-failed"
        public static let consoleDenied: Self = "console.denied"
        public static let exported: Self = "audit.exported"
        /// A bundle held back: the lane's transfer area refused it for now.
        public static let held: Self = "held"
        /// A transfer area refused a bundle; it is retried.
        public static let shipRefused: Self = "ship-refused"
        /// Held bundles of a lane shipped again.
        public static let resumed: Self = "resumed"
        /// Quarantined rows re-driven by an operator.
        public static let operatorRequeue: Self = "operator.requeue"
        /// An operator reset a flow's checkpoint.
        public static let operatorResetCheckpoint: Self = "operator.reset-checkpoint"
        /// Dead letters re-driven by an operator.
        public static let redriven: Self = "re-driven"
        /// Dead letters purged by an operator.
        public static let purged: Self = "purged"
        /// A receiver asked its sender for missing bundles.
        public static let resendRequested: Self = "resend-requested"
        /// A sender could not resend a bundle that was asked for.
        public static let resendImpossible: Self = "resend-impossible"
        /// A sender resent a bundle that was asked for.
        public static let resent: Self = "resent"
        /// A reconcile run opened.
        public static let reconcileOpened: Self = "reconcile-opened"
        /// A reconcile step failed; the reason says why.
        public static let reconcileFailed: Self = "reconcile-failed"
        /// The far side answered a reconcile step.
        public static let reconcileAnswered: Self = "reconcile-answered"
        /// A reconcile run asked for a wider sketch.
        public static let reconcileMore: Self = "reconcile-more"
        /// Repairs of a reconcile plan queued.
        public static let reconcileRepair: Self = "reconcile-repair"
        /// A reconcile repair deleted a record only the target held.
        public static let reconcileDelete: Self = "reconcile-delete"
        /// A copy of a bundle or step received before, not applied again.
        public static let duplicate: Self = "duplicate"
        /// A flow gained targets; what it sent before goes to them too.
        public static let flowTargetsAdded: Self = "flow.targets-added"
        /// A console user added.
        public static let consoleUserAdded: Self = "console.user-added"
        /// A console user's role or password changed.
        public static let consoleUserChanged: Self = "console.user-changed"
        /// A console user removed.
        public static let consoleUserRemoved: Self = "console.user-removed"
        /// Logins of a user or an address locked after failed guesses.
        public static let consoleLoginLocked: Self = "console.login-locked"
        /// A session ended because its user changed or was removed.
        public static let consoleSessionEnded: Self = "console.session-ended"
        /// Bundles pushed over HTTP that the upload endpoint refused (one entry per window).
        public static let uploadRefused: Self = "upload-refused"

        /// A document read from a source and stored in the node's blob store.
        public static let documentStored: Self = "document.stored"
        /// A document whose chunks have all arrived, verified against its digest.
        public static let documentReassembled: Self = "document.reassembled"
        /// A document refused on arrival (digest, media type, signature or receive hook),
        /// with the records that named it.
        public static let documentRejected: Self = "document.rejected"
        /// A target that requires signatures checked a document's and it verified.
        public static let documentVerified: Self = "document.verified"

        /// Every kind Ferry writes: what `ferry audit log --kind` and the console search offer.
        public static let known: Set<Kind> = [
            .configLoaded, .pulled, .mapped, .quarantined, .enqueued, .sealed, .shipped, .received, .rejected, .applied, .receipted,
            .delivered, .conflict, .deadLettered, .keyGenerated, .keyRotated, .keyRetired, .reconciled, .consoleLogin,
            .consoleLoginFailed, .consoleDenied, .exported,
            .held, .shipRefused, .resumed, .operatorRequeue, .operatorResetCheckpoint, .redriven, .purged, .resendRequested, .resendImpossible, .resent, .reconcileOpened, .reconcileFailed, .reconcileAnswered, .reconcileMore, .reconcileRepair, .reconcileDelete, .duplicate, .flowTargetsAdded, .consoleUserAdded, .consoleUserChanged, .consoleUserRemoved, .consoleLoginLocked, .consoleSessionEnded, .uploadRefused,
            .documentStored, .documentReassembled, .documentRejected, .documentVerified,
        ]
    }

    public var kind: Kind
    public var actor: String
    public var flow: String?
    public var lane: String?
    public var bundle: String?
    /// A masked record key or a digest, never a plaintext personal value.
    public var subject: String?
    /// The keyed digest of the one record this event is about (hex), for lookups by key.
    public var keyDigest: String?
    public var details: [String: Value]
    /// For events about a batch: one leaf per record, in bundle order. Their Merkle root
    /// goes into the entry (`records_root`); the leaves go into the small per-record index.
    public var leaves: [AuditLeaf] = []

    public init(
        _ kind: Kind, actor: String = "ferry", flow: String? = nil, lane: String? = nil, bundle: String? = nil,
        subject: String? = nil, keyDigest: String? = nil, details: [String: Value] = [:], leaves: [AuditLeaf] = []
    ) {
        self.keyDigest = keyDigest
        self.leaves = leaves
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

    /// The whole entry as JSON, for `--json` output and exports.
    public var value: Value {
        var object: [String: Value] = [
            "seq": .int(sequence), "at": .string(at), "node": .string(node), "actor": .string(event.actor),
            "kind": .string(event.kind.rawValue), "details": .object(event.details), "prev_hash": .string(previousHash), "hash": .string(hash),
        ]
        if let flow = event.flow { object["flow"] = .string(flow) }
        if let lane = event.lane { object["lane"] = .string(lane) }
        if let bundle = event.bundle { object["bundle"] = .string(bundle) }
        if let subject = event.subject { object["subject"] = .string(subject) }
        if let key = event.keyDigest { object["key"] = .string(key) }
        return .object(object)
    }

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
        if let key = event.keyDigest { object["key"] = .string(key) }
        return CanonicalJSON.encode(.object(object))
    }
}

/// One record of a batch event: the first 16 bytes of its key's keyed digest, the hash it
/// has as a Merkle leaf (for bundles, the bundle's own leaf hash of its line), and for
/// outcomes a tag (`applied`, `skipped`, `rejected`) bound into the leaf.
public struct AuditLeaf: Sendable, Equatable {
    public var key: [UInt8]
    public var hash: [UInt8]
    public var tag: String?

    public init(key: [UInt8], hash: [UInt8], tag: String? = nil) {
        self.key = Array(key.prefix(16))
        self.hash = hash
        self.tag = tag
    }

    /// The leaf the event's Merkle root is built over: the hash itself, or with the tag
    /// bound in, so an outcome cannot be changed in the index without breaking the root.
    public var merkleLeaf: [UInt8] {
        guard let tag else { return hash }
        return MerkleTree.leafHash(Array(tag.utf8) + [0] + hash)
    }
}
