public import Foundation

/// The whole deployment as one file describes it: every node reads the same topology and
/// picks its own part with `--node NAME`.
public struct Topology: Sendable {
    /// The file this was read from, as given by the user.
    public var file: String
    /// Relative paths in the file resolve against the file's directory.
    public var baseDirectory: URL
    public var zones: [Zone] = []
    public var nodes: [Node] = []
    public var trust: [TrustEntry] = []
    public var channels: [Channel] = []
    public var entities: [EntityRef] = []
    public var systems: [System] = []
    public var flows: [Flow] = []
    public var retry = RetryPolicy()
    /// The shared secret of record digests (`digest_key:`), if this deployment has one.
    public var digestKey: URL?
    /// The directory of code tables (`Mappings/codes` beside the file unless `codes:` says otherwise).
    public var codes: URL

    public init(file: String, baseDirectory: URL) {
        self.file = file
        self.baseDirectory = baseDirectory
        self.codes = baseDirectory.appendingPathComponent("Mappings/codes")
    }

    public struct Zone: Sendable {
        public var name: String
        public var title: String?
        public var location: SourceLocation
    }

    public struct Node: Sendable {
        public var name: String
        public var zone: String
        public var store: Store
        /// The private key files, oldest first: several while a key is rotated, or one per
        /// suite when the node's channels use different suites. Never read into logs or errors.
        public var keyFiles: [URL]
        /// TLS for the node's HTTP endpoint (pushed bundles, health, metrics), if any.
        public var tls: ServerTLS?
        /// Reverse proxies in front of the node's HTTP endpoint, by address: only from these
        /// is `X-Forwarded-For` recorded as a console login's source.
        public var trustedProxies: [String] = []
        /// How long a worker's claim on a job (a flow's sync, a lane's intake, applying,
        /// packing) lasts without being renewed, in seconds: how soon the work of a killed
        /// worker passes to another. Workers renew their claims a third of the way through.
        public var leaseSeconds: Int = 30
        /// The largest document the node takes from a source, in bytes (`max_document_size`,
        /// default 2 GiB): a larger file quarantines its record instead of filling the disk.
        public var maxDocumentSize: Int64 = 2 << 30
        /// `sign_documents: true`: every document leaving the node carries its detached
        /// signature (docs/documents.md), for targets that `require_signature`.
        public var signDocuments = false
        /// `receive_hook: [program, args…]`: run on every document that arrives whole, with
        /// its file as the last argument; a non-zero exit rejects it and its records.
        public var receiveHook: [String] = []
        /// Seconds the receive hook may take per document (`receive_hook_timeout`, default 300).
        public var receiveHookTimeout = 300
        public var location: SourceLocation
    }

    /// A certificate and key to serve HTTPS with; with `clientCA`, clients must present a
    /// certificate it signed (mutual TLS).
    public struct ServerTLS: Sendable, Hashable {
        public var certificate: URL
        public var key: URL
        public var clientCA: URL?

        public init(certificate: URL, key: URL, clientCA: URL? = nil) {
            (self.certificate, self.key, self.clientCA) = (certificate, key, clientCA)
        }
    }

    public enum Store: Sendable, Equatable {
        case sqlite(URL)
        case postgres(url: String)

        /// What makes two stores one: the file, or the server, database and schema (the
        /// schema a node gets by default is `ferry_NODE`, lower-cased, `_` for the rest).
        public func identity(node: String) -> String {
            switch self {
            case .sqlite(let path):
                return "sqlite:" + path.standardizedFileURL.path
            case .postgres(let url):
                guard let components = URLComponents(string: url) else { return "postgres:" + url }
                let schema = components.queryItems?.last { $0.name == "schema" }?.value
                    ?? "ferry_" + node.lowercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
                return "postgres://\(components.host ?? "")/\(components.port ?? 5432)/\(components.path)/\(schema)"
            }
        }
    }

    /// Public keys a node accepts bundles from, with the key file's path.
    public struct TrustEntry: Sendable {
        public var node: String
        public var publicKeyFiles: [URL]
        public var location: SourceLocation
    }

    public struct Channel: Sendable {
        public var from: String
        public var to: String
        /// Where bundles going `from → to` are dropped.
        public var forward: URL
        /// Where bundles going back `to → from` (receipts, return flows) are dropped; nil on a one-way link.
        public var returnPath: URL?
        /// Where the sender pushes instead of writing `forward`, for gaps that pass HTTP.
        public var forwardHTTP: HTTPTarget?
        public var returnHTTP: HTTPTarget?
        public var suite: String
        public var policy = LanePolicy()
        public var location: SourceLocation

        public var isOneWay: Bool { returnPath == nil }
    }

    public struct EntityRef: Sendable {
        public var name: String
        public var file: URL
        public var location: SourceLocation
    }

    public enum Level: String, Sendable, CaseIterable, Comparable {
        case national, provincial, municipal, district

        /// Authority order: national outranks provincial, and so on down.
        public var rank: Int { Self.allCases.firstIndex(of: self)! }
        public static func < (a: Level, b: Level) -> Bool { a.rank < b.rank }
    }

    public struct System: Sendable {
        public var name: String
        public var zone: String
        public var level: Level
        public var adapter: String
        public var options: ConfigNode
        /// Mapping file per entity name.
        public var maps: [String: URL]
        /// Options that hold for one entity only (its table, its cursor), over `options`.
        public var entityOptions: [String: ConfigNode] = [:]
        public var location: SourceLocation

        /// The adapter options for one entity: the system's, overridden by the entity's own.
        public func options(for entity: String) -> ConfigNode {
            guard let specific = entityOptions[entity], case .mapping(let overrides) = specific.kind else { return options }
            guard case .mapping(var merged) = options.kind else { return specific }
            for entry in overrides {
                merged.removeAll { $0.key == entry.key }
                merged.append(entry)
            }
            return ConfigNode(kind: .mapping(merged), location: options.location)
        }
    }

    public enum Mode: String, Sendable, CaseIterable {
        /// Only what changed since the stored cursor.
        case incremental
        /// Everything, every run (small reference tables).
        case full
    }

    public struct Flow: Sendable {
        public var name: String
        public var entity: String
        public var from: String
        public var to: [String]
        public var schedule: String?
        public var mode: Mode
        /// `reconcile: { extras: delete }`: a reconcile repair deletes records only the
        /// target holds (by default they are reported only).
        public var deleteExtras = false
        /// `reconcile: { index: false }`: pulls and applies of this flow do not keep the
        /// digest index (about a third of a busy pipeline's time), so `--indexed` is not
        /// available for it; full reconciles work as ever.
        public var keepsDigestIndex = true
        /// `reconcile: { fan_out: N }`: the fan-out of the range tree a reconcile summarises
        /// the flow's copies with (2, 4, 8, 16 or 64).
        public var reconcileFanOut = 16
        /// Set on a flow a `triggers:` entry produces: its records are derived from changes
        /// of another entity at the source, not read as they are.
        public var trigger: Trigger?
        public var location: SourceLocation
    }
}

extension Topology {
    public func node(named name: String) -> Node? { nodes.first { $0.name == name } }
    public func system(named name: String) -> System? { systems.first { $0.name == name } }
    public func flow(named name: String) -> Flow? { flows.first { $0.name == name } }
    public func entity(named name: String) -> EntityRef? { entities.first { $0.name == name } }
    public func node(inZone zone: String) -> Node? { nodes.first { $0.zone == zone } }

    /// The directed path bundles take from one zone to another, if a channel allows it.
    public func lane(from: String, to: String) -> Lane? {
        for channel in channels {
            if channel.from == from && channel.to == to {
                return Lane(from: from, to: to, directory: channel.forward, suite: channel.suite, hasReturn: channel.returnPath != nil,
                    policy: channel.policy, http: channel.forwardHTTP)
            }
            if channel.to == from && channel.from == to, let back = channel.returnPath {
                return Lane(from: from, to: to, directory: back, suite: channel.suite, hasReturn: true, policy: channel.policy,
                    http: channel.returnHTTP)
            }
        }
        return nil
    }

    /// Every lane that delivers into `zone`.
    public func inboundLanes(to zone: String) -> [Lane] {
        zones.compactMap { other in other.name == zone ? nil : lane(from: other.name, to: zone) }
    }
}

/// One direction of a channel: bundles from `from` to `to`, dropped in `directory`.
public struct Lane: Sendable, Hashable {
    public var from: String
    public var to: String
    public var directory: URL
    public var suite: String
    /// Whether a path back exists, so receipts and resend requests can flow.
    public var hasReturn: Bool
    public var policy: LanePolicy
    /// Set when bundles are pushed over HTTP; `directory` is then where the far side lands them.
    public var http: HTTPTarget?

    public init(
        from: String, to: String, directory: URL, suite: String, hasReturn: Bool, policy: LanePolicy = LanePolicy(), http: HTTPTarget? = nil
    ) {
        self.from = from
        self.to = to
        self.directory = directory
        self.suite = suite
        self.hasReturn = hasReturn
        self.policy = policy
        self.http = http
    }

    /// `extranet→jinhong`: sequence numbers are counted per lane.
    public var name: String { id.name }
    public var id: LaneID { LaneID(from: from, to: to) }
}

/// How bundles are cut and carried on a channel.
public struct LanePolicy: Sendable, Hashable {
    /// At most this many records per bundle.
    public var bundleRecords = 5000
    /// …and at most this many bytes of record lines before compression (a bundle holds at
    /// least one record whatever its size). It also bounds the packer's memory.
    public var bundleBytes = 16 << 20
    /// Fewer records than a full bundle wait until the oldest is this many seconds old, so a
    /// trickle of changes does not become a trickle of tiny bundles. 0 seals at once.
    public var bundleAge: TimeInterval = 0
    /// On a one-way channel, how many times each bundle is dropped in all: with no receipt
    /// to say it arrived, repetition is what survives a lossy link; receivers drop copies.
    public var carouselCopies = 3
    /// The transfer area holds at most this many bundles not yet taken by the far side.
    public var maxFiles: Int?
    /// …and at most this many bytes of them.
    public var maxBytes: Int64?
    /// On a two-way channel, the receiver asks for missing sequences again at most this often.
    public var resendAfter: TimeInterval = 600
    /// `manifest: true`: next to each bundle dropped in a directory, a plain signed
    /// `.manifest.json` lists what it carries (docs/documents.md), for the gap's own filters.
    public var manifest = false

    public init() {}
}

/// A receiving node's HTTP endpoint, and the client settings to reach it.
public struct HTTPTarget: Sendable, Hashable {
    /// The receiving node's base URL; bundles go to `<url>/bundles/<from>/<to>/<name>`.
    public var url: String
    public var caBundle: String?
    public var clientCertificate: String?
    public var clientKey: String?
    public var timeout: Int = 300

    public init(url: String) { self.url = url }
}
