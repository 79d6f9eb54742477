public import Foundation

/// Reads a topology file into a `Topology`, checking shape as it goes. Cross-references
/// (unknown systems, missing channels, missing files) are checked by `TopologyValidator`.
public enum TopologyLoader {
    public static let suites = ["x25519-aes256gcm-ed25519", "sm2-sm4-sm3"]
    public static let adapters = ["sqlite", "postgres", "mysql", "odbc", "csv", "ndjson", "xml", "http", "exec", "airbyte"]

    /// Loads and fully validates `file`; the first error found is thrown.
    public static func load(_ file: String) throws -> Topology {
        let url = URL(fileURLWithPath: file)
        let root = try ConfigNode.load(file: url, displayName: file)
        let topology = try parse(root, file: file, baseDirectory: url.deletingLastPathComponent())
        try TopologyValidator.validate(topology)
        return topology
    }

    /// Addresses of reverse proxies whose `X-Forwarded-For` the console believes: IPv4 or
    /// IPv6 literals as the peer's socket address shows them (no names, no ranges).
    static func trustedProxies(_ list: ConfigNode?) throws -> [String] {
        try (list?.items("trusted_proxies") ?? []).map { item in
            let text = try item.string("trusted_proxies")
            var address = in6_addr()
            guard inet_pton(AF_INET, text, &address) == 1 || inet_pton(AF_INET6, text, &address) == 1 else {
                throw item.error("'\(OutsideText.describe(text))' is not an IP address", hint: "list proxies by address, e.g. trusted_proxies: [10.0.0.5]")
            }
            return text
        }
    }

    public static func parse(_ root: ConfigNode, file: String, baseDirectory: URL) throws -> Topology {
        var topology = Topology(file: file, baseDirectory: baseDirectory)
        guard case .mapping = root.kind else {
            throw root.error("a topology file must be a mapping with zones, nodes, channels, systems and flows")
        }
        try root.rejectUnknownKeys(
            ["zones", "nodes", "trust", "channels", "entities", "systems", "flows", "triggers", "codes", "title", "retry", "digest_key"], in: "the topology")
        // Sections are read in this fixed order so that a file with several faults always
        // reports the same one first.
        try settings(root, into: &topology, base: baseDirectory)
        topology.zones = try zones(root)
        topology.nodes = try nodes(root, base: baseDirectory)
        topology.trust = try trust(root, base: baseDirectory)
        topology.channels = try (root["channels"]?.items("channels") ?? []).map { try channel($0, base: baseDirectory) }
        topology.entities = try entities(root, base: baseDirectory)
        topology.systems = try (root["systems"]?.entries("systems") ?? []).map { try system($0, base: baseDirectory) }
        topology.flows = try (root["flows"]?.items("flows") ?? []).map(flow)
        topology.flows += try (root["triggers"]?.items("triggers") ?? []).flatMap { try triggerFlows($0, base: baseDirectory) }
        return topology
    }

    /// A path in the file, resolved against the file's directory (`base`); never empty.
    static func path(_ node: ConfigNode, _ what: String, base: URL) throws -> URL {
        let text = try node.string(what)
        guard !text.isEmpty else { throw node.error("\(what) must not be empty") }
        return URL(fileURLWithPath: text, relativeTo: base).standardizedFileURL
    }

    /// The deployment-wide settings: `codes:`, `digest_key:` and `retry:`.
    static func settings(_ root: ConfigNode, into topology: inout Topology, base: URL) throws {
        if let codes = root["codes"] { topology.codes = try path(codes, "codes", base: base) }
        if let digestKey = root["digest_key"] { topology.digestKey = try path(digestKey, "digest_key", base: base) }
        if let retry = root["retry"] {
            try retry.rejectUnknownKeys(["attempts", "base_seconds", "cap_seconds"], in: "retry")
            topology.retry.attempts = try retry["attempts"]?.int("attempts") ?? topology.retry.attempts
            topology.retry.base = TimeInterval(try retry["base_seconds"]?.int("base_seconds") ?? Int(topology.retry.base))
            topology.retry.cap = TimeInterval(try retry["cap_seconds"]?.int("cap_seconds") ?? Int(topology.retry.cap))
            guard topology.retry.attempts >= 1, topology.retry.base > 0, topology.retry.cap >= topology.retry.base else {
                throw retry.error("retry needs attempts ≥ 1 and 0 < base_seconds ≤ cap_seconds")
            }
        }
    }

    /// `zones:` (required): name → { title }.
    static func zones(_ root: ConfigNode) throws -> [Topology.Zone] {
        try root.require("zones", in: "the topology").entries("zones").map { entry in
            let node = entry.value
            try node.rejectUnknownKeys(["title"], in: "zone \(entry.key)")
            return .init(name: try name(entry.key, "zone", at: entry.keyLocation), title: try node["title"]?.string("title"), location: entry.keyLocation)
        }
    }

    /// `nodes:` (required): name → { zone, store, key, tls, trusted_proxies, lease_seconds, max_document_size, sign_documents, receive_hook, receive_hook_timeout }.
    static func nodes(_ root: ConfigNode, base: URL) throws -> [Topology.Node] {
        try root.require("nodes", in: "the topology").entries("nodes").map { entry in
            let node = entry.value
            let what = "node \(entry.key)"
            try node.rejectUnknownKeys(["zone", "store", "key", "tls", "trusted_proxies", "lease_seconds", "max_document_size", "sign_documents",
                "receive_hook", "receive_hook_timeout"], in: what)
            let hook = try node["receive_hook"]?.strings("receive_hook") ?? []
            if let hookNode = node["receive_hook"], hook.first?.isEmpty != false {
                throw hookNode.error("receive_hook is a program and its arguments, like [clamdscan, --no-summary]")
            }
            let hookTimeout = try node["receive_hook_timeout"]?.int("receive_hook_timeout") ?? 300
            guard (1...86_400).contains(hookTimeout) else {
                throw (node["receive_hook_timeout"] ?? node).error("receive_hook_timeout is seconds, from 1 to 86400")
            }
            let maxDocument = try node["max_document_size"]?.int("max_document_size") ?? (2 << 30)
            guard maxDocument > 0 else { throw (node["max_document_size"] ?? node).error("max_document_size is a number of bytes, at least 1") }
            let lease = try node["lease_seconds"]?.int("lease_seconds") ?? 30
            guard (2...3600).contains(lease) else {
                throw (node["lease_seconds"] ?? node).error("lease_seconds must be between 2 and 3600", hint: "30 suits most deployments")
            }
            let tls = try node["tls"].map { try serverTLS($0, base: base) }
            let storeNode = try node.require("store", in: what)
            return .init(
                name: try name(entry.key, "node", at: entry.keyLocation),
                zone: try node.require("zone", in: what).string("zone"),
                store: try store(storeNode, baseDirectory: base),
                keyFiles: try node.require("key", in: what).items("key").map { try path($0, "key", base: base) },
                tls: tls,
                trustedProxies: try trustedProxies(node["trusted_proxies"]),
                leaseSeconds: lease,
                maxDocumentSize: Int64(maxDocument),
                signDocuments: try node["sign_documents"]?.bool("sign_documents") ?? false,
                receiveHook: hook, receiveHookTimeout: hookTimeout,
                location: entry.keyLocation)
        }
    }

    /// A node's `tls: { cert, key, client_ca }`.
    static func serverTLS(_ section: ConfigNode, base: URL) throws -> Topology.ServerTLS {
        try section.rejectUnknownKeys(["cert", "key", "client_ca"], in: "tls")
        return Topology.ServerTLS(
            certificate: try path(try section.require("cert", in: "tls"), "tls.cert", base: base),
            key: try path(try section.require("key", in: "tls"), "tls.key", base: base),
            clientCA: try section["client_ca"].map { try path($0, "tls.client_ca", base: base) })
    }

    /// `trust:`: node name → the public key files this deployment accepts for it.
    static func trust(_ root: ConfigNode, base: URL) throws -> [Topology.TrustEntry] {
        try (root["trust"]?.entries("trust") ?? []).map { entry in
            .init(
                node: entry.key,
                publicKeyFiles: try entry.value.items("trust").map { try path($0, "a public key file", base: base) },
                location: entry.keyLocation)
        }
    }

    /// One item of `channels:`: the lane's ends, its forward and return routes, suite and policy.
    static func channel(_ item: ConfigNode, base: URL) throws -> Topology.Channel {
        let what = "a channel"
        try item.rejectUnknownKeys(
            [
                "from", "to", "via", "return", "suite", "bundle_records", "bundle_bytes", "bundle_age", "carousel", "max_files",
                "max_bytes", "resend_after", "manifest",
            ], in: what)
        let via = try item.require("via", in: what)
        try via.rejectUnknownKeys(["dir", "http", "ca", "cert", "key", "timeout"], in: "via")
        let (returnPath, returnHTTP) = try returnRoute(item["return"], base: base)
        let suiteNode = item["suite"]
        let suite = try suiteNode?.string("suite") ?? suites[0]
        guard suites.contains(suite) else {
            throw (suiteNode ?? item).error(
                "unknown suite '\(suite)'", hint: "use one of: \(suites.joined(separator: ", "))")
        }
        let policy = try lanePolicy(item)
        return .init(
            from: try item.require("from", in: what).string("from"),
            to: try item.require("to", in: what).string("to"),
            forward: try path(try via.require("dir", in: "via"), "via.dir", base: base),
            returnPath: returnPath, forwardHTTP: try httpTarget(via, base: base), returnHTTP: returnHTTP,
            suite: suite, policy: policy,
            location: item.location)
    }

    /// A channel's `return:`: a directory, or { dir, http, … } like `via:`; absent or null for
    /// a one-way lane.
    static func returnRoute(_ back: ConfigNode?, base: URL) throws -> (path: URL?, http: HTTPTarget?) {
        guard let back, !back.isNull else { return (nil, nil) }
        guard case .mapping = back.kind else { return (try path(back, "return", base: base), nil) }
        try back.rejectUnknownKeys(["dir", "http", "ca", "cert", "key", "timeout"], in: "return")
        let returnPath = try path(try back.require("dir", in: "return"), "return.dir", base: base)
        return (returnPath, try httpTarget(back, base: base))
    }

    /// The HTTP push target of a `via:` or `return:` mapping, if it names one.
    static func httpTarget(_ node: ConfigNode, base: URL) throws -> HTTPTarget? {
        guard let url = try node["http"]?.string("http") else { return nil }
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw try node.require("http", in: "via").error("'\(url)' is not an http(s) URL", hint: "write http: https://host:port")
        }
        var target = HTTPTarget(url: url)
        target.caBundle = try node["ca"].map { try path($0, "ca", base: base).path }
        target.clientCertificate = try node["cert"].map { try path($0, "cert", base: base).path }
        target.clientKey = try node["key"].map { try path($0, "key", base: base).path }
        target.timeout = try node["timeout"]?.int("timeout") ?? target.timeout
        return target
    }

    /// A channel's bundle sizes, carousel, limits and resend timing; unset keys keep `LanePolicy`'s defaults.
    static func lanePolicy(_ item: ConfigNode) throws -> LanePolicy {
        var policy = LanePolicy()
        func positive(_ key: String) throws -> Int? {
            guard let node = item[key] else { return nil }
            let value = try node.int(key)
            guard value > 0 else { throw node.error("\(key) must be at least 1") }
            return value
        }
        policy.bundleRecords = try positive("bundle_records") ?? policy.bundleRecords
        policy.bundleBytes = try positive("bundle_bytes") ?? policy.bundleBytes
        if let node = item["bundle_age"] {
            let seconds = try node.int("bundle_age")
            guard seconds >= 0 else { throw node.error("bundle_age must be seconds, 0 or more") }
            policy.bundleAge = TimeInterval(seconds)
        }
        policy.carouselCopies = try positive("carousel") ?? policy.carouselCopies
        policy.manifest = try item["manifest"]?.bool("manifest") ?? false
        policy.maxFiles = try positive("max_files")
        policy.maxBytes = try positive("max_bytes").map(Int64.init)
        if let node = item["resend_after"] {
            let seconds = try node.int("resend_after")
            guard seconds >= 0 else { throw node.error("resend_after must be seconds, 0 or more") }
            policy.resendAfter = TimeInterval(seconds)
        }
        return policy
    }

    /// `entities:`: name → entity file.
    static func entities(_ root: ConfigNode, base: URL) throws -> [Topology.EntityRef] {
        try (root["entities"]?.entries("entities") ?? []).map { entry in
            .init(name: try name(entry.key, "entity", at: entry.keyLocation), file: try path(entry.value, "entity file", base: base), location: entry.keyLocation)
        }
    }

    /// One entry of `systems:`: its zone, level, adapter, options and mapping files.
    static func system(_ entry: ConfigNode.Entry, base: URL) throws -> Topology.System {
        let node = entry.value
        let what = "system \(entry.key)"
        try node.rejectUnknownKeys(["zone", "level", "adapter", "options", "maps", "title"], in: what)
        let levelNode = try node.require("level", in: what)
        let levelText = try levelNode.string("level")
        guard let level = Topology.Level(rawValue: levelText) else {
            throw levelNode.error(
                "unknown level '\(levelText)'", hint: "use national, provincial, municipal or district")
        }
        let adapterNode = try node.require("adapter", in: what)
        let adapter = try adapterNode.string("adapter")
        guard adapters.contains(adapter) else {
            throw adapterNode.error("unknown adapter '\(adapter)'", hint: "use one of: \(adapters.joined(separator: ", "))")
        }
        let (maps, entityOptions) = try systemMaps(node["maps"], base: base)
        return .init(
            name: try name(entry.key, "system", at: entry.keyLocation),
            zone: try node.require("zone", in: what).string("zone"),
            level: level, adapter: adapter,
            options: node["options"] ?? ConfigNode(kind: .null, location: node.location),
            maps: maps, entityOptions: entityOptions, location: entry.keyLocation)
    }

    /// A system's `maps:`: entity → mapping file, plus per-entity adapter options where the
    /// long form gives them.
    static func systemMaps(_ section: ConfigNode?, base: URL) throws -> (maps: [String: URL], options: [String: ConfigNode]) {
        var maps: [String: URL] = [:]
        var entityOptions: [String: ConfigNode] = [:]
        for map in try section?.entries("maps") ?? [] {
            if case .mapping = map.value.kind {
                // Long form: { file: …, options: { table: …, cursor: … } } for systems
                // that keep each entity in its own table or endpoint.
                try map.value.rejectUnknownKeys(["file", "options"], in: "maps.\(map.key)")
                maps[map.key] = try path(try map.value.require("file", in: "maps.\(map.key)"), "mapping file", base: base)
                entityOptions[map.key] = map.value["options"]
            } else {
                maps[map.key] = try path(map.value, "mapping file", base: base)
            }
        }
        return (maps, entityOptions)
    }

    /// One item of `flows:`: entity, source, targets, schedule, mode and reconcile options.
    static func flow(_ item: ConfigNode) throws -> Topology.Flow {
        let what = "a flow"
        try item.rejectUnknownKeys(["name", "entity", "from", "to", "schedule", "mode", "reconcile"], in: what)
        let reconcile = try reconcileOptions(item["reconcile"])
        let modeNode = item["mode"]
        let modeText = try modeNode?.string("mode") ?? "incremental"
        guard let mode = Topology.Mode(rawValue: modeText) else {
            throw (modeNode ?? item).error("unknown mode '\(modeText)'", hint: "use incremental or full")
        }
        let scheduleNode = item["schedule"]
        let schedule = try scheduleNode?.string("schedule")
        if let schedule, let scheduleNode, case .failure(let problem) = Schedule.parse(schedule) {
            throw scheduleNode.error(
                "schedule '\(schedule)' is not a cron expression: \(problem.message)",
                hint: "write five fields, minute hour day month weekday, e.g. \"*/5 * * * *\", or \"@every 30s\"")
        }
        return .init(
            name: try name(item.require("name", in: what), "flow"),
            entity: try item.require("entity", in: what).string("entity"),
            from: try item.require("from", in: what).string("from"),
            to: try item.require("to", in: what).strings("to"),
            schedule: schedule, mode: mode, deleteExtras: reconcile.deleteExtras, keepsDigestIndex: reconcile.keepIndex,
            reconcileFanOut: reconcile.fanOut, location: item.location)
    }

    /// A flow's `reconcile: { extras, index, fan_out }`, defaults where absent.
    static func reconcileOptions(_ reconcile: ConfigNode?) throws -> (deleteExtras: Bool, keepIndex: Bool, fanOut: Int) {
        // Records only a target holds are reported by a reconcile, and deleted by its
        // repair only where the flow says so: deleting across levels is never a default.
        var deleteExtras = false
        var keepIndex = true
        var fanOut = 16
        guard let reconcile else { return (deleteExtras, keepIndex, fanOut) }
        try reconcile.rejectUnknownKeys(["extras", "index", "fan_out"], in: "reconcile")
        keepIndex = try reconcile["index"]?.bool("index") ?? true
        if let node = reconcile["fan_out"] {
            // The 4096 leaf ranges must be a level of the tree: 4096 = N^k.
            fanOut = try node.int("fan_out")
            guard [2, 4, 8, 16, 64].contains(fanOut) else {
                throw node.error("fan_out is 2, 4, 8, 16 or 64, not \(fanOut)", hint: "the 4096 ranges a copy is digested in must be a level of the tree; 16 is the default")
            }
        }
        if let extras = reconcile["extras"] {
            switch try extras.string("extras") {
            case "report": deleteExtras = false
            case "delete": deleteExtras = true
            case let other: throw extras.error("extras is report or delete, not '\(other)'", hint: "write reconcile: { extras: delete } to let repairs delete records only the target holds")
            }
        }
        return (deleteExtras, keepIndex, fanOut)
    }

    /// A declared name, refused unless it is a simple identifier: names of zones, nodes,
    /// systems, flows and entities end up in lane names, file paths, URLs, bundle headers
    /// and the auditor console, where nothing else is safe everywhere.
    static func name(_ text: String, _ kind: String, at location: SourceLocation) throws -> String {
        guard OutsideText.isIdentifier(text) else {
            throw FerryError(.config, "\(kind) name '\(OutsideText.describe(text))' is not a simple identifier", at: .file(location),
                hint: "use 1 to \(OutsideText.identifierLimit) ASCII letters, digits, '.', '_' or '-', starting with a letter or digit")
        }
        return text
    }

    static func name(_ node: ConfigNode, _ kind: String) throws -> String {
        try name(try node.string("name"), kind, at: node.location)
    }

    static func store(_ node: ConfigNode, baseDirectory: URL) throws -> Topology.Store {
        let text = try node.string("store")
        if text.hasPrefix("postgres:") || text.hasPrefix("postgresql:") {
            return .postgres(url: text)
        }
        let path = text.hasPrefix("sqlite:") ? String(text.dropFirst("sqlite:".count)) : text
        guard !path.isEmpty else {
            throw node.error("store path is empty", hint: "write store: sqlite:state/NODE.db")
        }
        return .sqlite(URL(fileURLWithPath: path, relativeTo: baseDirectory).standardizedFileURL)
    }
}
