public import FerryCore
public import FerrySeal
public import FerryQueue

/// One record's path across zones, from the audit logs of the nodes whose stores are on
/// this machine, and from the far side's evidence that came back in receipts.
public struct AuditTrace: Sendable {
    public struct Hop: Sendable {
        public var node: String
        public var zone: String
        public var sequence: Int64
        public var at: String
        public var kind: String
        public var flow: String?
        public var lane: String?
        public var bundle: String?
        /// applied, skipped, rejected… where the event records one.
        public var outcome: String?
        public var detail: String
        public var proof: Proof?
    }

    /// A Merkle inclusion proof: the record's leaf is number `index` of `count` under `root`,
    /// the root the audit entry (and, for bundles, the bundle's signature) commits to.
    public struct Proof: Sendable {
        public var index: Int
        public var count: Int
        public var leaf: String
        public var path: [String]
        public var root: String
        public var valid: Bool
    }

    public var key: String
    public var hops: [Hop]

    public init(key: String, hops: [Hop]) { (self.key, self.hops) = (key, hops) }

    /// One node's store to trace in, and where that node is.
    public struct Source {
        public var node: String
        public var zone: String
        public var store: NodeStore

        public init(node: String, zone: String, store: NodeStore) { (self.node, self.zone, self.store) = (node, zone, store) }
    }

    /// Traces one record, by its 16-byte keyed key digests (one per entity it may be), in
    /// the audit logs of `sources`: each entry about it, with a Merkle inclusion proof where
    /// it sits in a batch's record index, and the far side's entries its receipts reported
    /// (their signed checkpoints checked against `trust`), in causal order.
    /// - Parameters:
    ///   - key: the key as the user gave it, for the result.
    ///   - zoneOf: the zone of a node named in a receipt.
    public static func trace(key: String, keyDigests digests: [[UInt8]], in sources: [Source], trust: TrustStore,
                             zoneOf: (String) -> String) throws -> AuditTrace {
        var hops: [Hop] = []
        // The far side's entries as its receipts reported them; used where its own log is not here.
        var reported: [Hop] = []
        for source in sources {
            hops += try source.store.read { tx -> [Hop] in
                var found: [Hop] = []
                for (sequence, index) in try KeyFilter.places(tx, keys: digests) {
                    guard let entry = try AuditQuery.entry(tx, sequence: sequence) else { continue }
                    found.append(try indexedHop(entry, index: index, source: source, tx))
                    if case .object(let far)? = entry.event.details["far"] {
                        reported += farHops(far, trust: trust, zoneOf: zoneOf, at: entry.at)
                    }
                }
                for entry in try AuditQuery.entries(tx, keyDigests: digests) {
                    found.append(Hop(node: source.node, zone: source.zone, sequence: entry.sequence, at: entry.at, kind: entry.event.kind.rawValue,
                        flow: entry.event.flow, lane: entry.event.lane, bundle: entry.event.bundle, outcome: nil, detail: describe(entry), proof: nil))
                }
                return found
            }
        }
        // The documents the record names travel beside it: their entries join its trace.
        let keyString = key.components(separatedBy: "/").joined(separator: "\u{1F}")
        hops += try documentHops(try documents(named: keyString, in: sources), in: sources)
        // Reported copies of entries held first-hand add nothing.
        var seen: Set<String> = []
        hops = (hops + reported).filter { seen.insert("\($0.node)#\($0.sequence)").inserted }
        return AuditTrace(key: key, hops: causalOrder(hops))
    }

    /// Traces documents by digest (`sha256:…` or `sm3:…`): where each was stored, the
    /// bundles that carried it, its reassembly or rejection, in causal order.
    public static func trace(documents digests: [String], in sources: [Source]) throws -> AuditTrace {
        AuditTrace(key: digests.joined(separator: ", "), hops: causalOrder(try documentHops(digests, in: sources)))
    }

    static func documentHops(_ digests: [String], in sources: [Source]) throws -> [Hop] {
        guard !digests.isEmpty else { return [] }
        return try sources.flatMap { source in
            try source.store.read { tx in
                try digests.flatMap { digest in
                    try AuditQuery.entries(tx, document: digest).map { entry in
                        Hop(node: source.node, zone: source.zone, sequence: entry.sequence, at: entry.at, kind: entry.event.kind.rawValue,
                            flow: entry.event.flow, lane: entry.event.lane, bundle: entry.event.bundle, outcome: nil,
                            detail: "document \(digest): " + describe(entry), proof: nil)
                    }
                }
            }
        }
    }

    /// The documents the record with `key` (parts joined by U+001F) names, as its newest
    /// queued or staged lines on the nodes here say.
    static func documents(named key: String, in sources: [Source]) throws -> [String] {
        var digests: [String] = []
        for source in sources {
            let lines = try source.store.read { tx in try tx.outbox.lines(key: key) + tx.inbox.lines(key: key) }
            for line in lines {
                guard let envelope = try? RecordEnvelope(line: line) else { continue }
                for reference in envelope.record.documents where !digests.contains(reference.digest) { digests.append(reference.digest) }
            }
        }
        return digests
    }

    /// A batch entry's hop: the record's leaf number `index` in its record index, proved
    /// against the entry's records root (and the bundle's signed Merkle root, if it has one).
    static func indexedHop(_ entry: AuditEntry, index: Int, source: Source, _ tx: StoreTransaction) throws -> Hop {
        let leaves = try AuditVerifier.leaves(tx, sequence: entry.sequence)
        let merkle = leaves.map(\.merkleLeaf)
        let root = entry.event.details["records_root"]?.text ?? ""
        let path = MerkleTree.proof(leafHashes: merkle, index: index)
        let valid = index < merkle.count
            && MerkleTree.verify(leafHash: merkle[index], index: index, count: merkle.count, proof: path, root: unhex(root) ?? [])
        var hop = Hop(node: source.node, zone: source.zone, sequence: entry.sequence, at: entry.at, kind: entry.event.kind.rawValue, flow: entry.event.flow,
            lane: entry.event.lane, bundle: entry.event.bundle, outcome: index < leaves.count ? leaves[index].tag : nil,
            detail: describe(entry), proof: Proof(index: index, count: merkle.count, leaf: index < merkle.count ? hex(merkle[index]) : "",
                path: path.map { hex($0) }, root: root, valid: valid))
        if let signed = entry.event.details["merkle_root"]?.text {
            hop.detail += signed == root ? "; the bundle's signed Merkle root is the same" : "; MISMATCH with the bundle's signed Merkle root \(signed)"
        }
        return hop
    }

    /// Orders hops so that causes come first even within one second: each node's entries in
    /// sequence order, a bundle's sealing before its receipt, its apply before the delivery
    /// report; ties go to the earlier time.
    static func causalOrder(_ hops: [Hop]) -> [Hop] {
        var after: [[Int]] = Array(repeating: [], count: hops.count)
        var waiting = Array(repeating: 0, count: hops.count)
        func edge(_ a: Int, _ b: Int) {
            after[a].append(b)
            waiting[b] += 1
        }
        for indices in Dictionary(grouping: hops.indices, by: { hops[$0].node }).values {
            let ordered = indices.sorted { hops[$0].sequence < hops[$1].sequence }
            for (a, b) in zip(ordered, ordered.dropFirst()) { edge(a, b) }
        }
        for indices in Dictionary(grouping: hops.indices.filter { hops[$0].bundle != nil }, by: { hops[$0].bundle ?? "" }).values {
            let sealed = indices.filter { hops[$0].kind == "sealed" }
            let received = indices.filter { hops[$0].kind == "received" }
            let applied = indices.filter { hops[$0].kind == "applied" }
            let delivered = indices.filter { hops[$0].kind == "delivered" }
            for a in sealed { for b in received where hops[b].node != hops[a].node { edge(a, b) } }
            for a in applied { for b in delivered where hops[b].node != hops[a].node { edge(a, b) } }
        }
        var ready = hops.indices.filter { waiting[$0] == 0 }
        var order: [Hop] = []
        while !ready.isEmpty {
            ready.sort { (hops[$0].at, hops[$0].node, hops[$0].sequence) > (hops[$1].at, hops[$1].node, hops[$1].sequence) }
            let next = ready.removeLast()
            order.append(hops[next])
            for b in after[next] {
                waiting[b] -= 1
                if waiting[b] == 0 { ready.append(b) }
            }
        }
        // A cycle cannot come from real logs; if one does, keep what is left by time.
        if order.count < hops.count {
            let placed = Set(order.map { "\($0.node)#\($0.sequence)" })
            order += hops.filter { !placed.contains("\($0.node)#\($0.sequence)") }.sorted { $0.at < $1.at }
        }
        return order
    }

    /// The far node's entries for a bundle, as its receipt reported them, with its signed
    /// checkpoint checked against the trust list.
    static func farHops(_ far: [String: Value], trust: TrustStore, zoneOf: (String) -> String, at: String) -> [Hop] {
        guard let node = far["node"]?.text, case .list(let entries)? = far["entries"] else { return [] }
        var signed = "no checkpoint"
        if case .object(let checkpoint)? = far["checkpoint"], case .int(let sequence)? = checkpoint["seq"], let head = checkpoint["head"]?.text,
            let keyID = checkpoint["key_id"]?.text, let signature = checkpoint["signature"]?.text.flatMap(unhex)
        {
            let statement = AuditLog.checkpointStatement(node: node, sequence: sequence, head: head, at: checkpoint["at"]?.text ?? "",
                chain: checkpoint["chain"]?.text ?? "sha256")
            let good = trust.keys(forNode: node).contains { $0.keyID == keyID && $0.verify(signature: signature, of: statement) }
            signed = good ? "its log head at entry \(sequence) is signed by \(node) (verified)" : "its checkpoint signature does NOT verify"
        }
        return entries.compactMap { item -> Hop? in
            guard case .object(let entry) = item, case .int(let sequence)? = entry["seq"] else { return nil }
            var detail = "reported by \(node) in its receipt; \(signed)"
            if let root = entry["records_root"]?.text { detail = "records_root \(root.prefix(16))…; " + detail }
            if case .object(let outcomes)? = entry["outcomes"] {
                detail = outcomes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.text ?? "")" }.joined(separator: ", ") + "; " + detail
            }
            return Hop(node: node, zone: zoneOf(node), sequence: sequence, at: entry["at"]?.text ?? at,
                kind: entry["kind"]?.text ?? "?", flow: nil, lane: nil, bundle: far["bundle"]?.text, outcome: nil, detail: detail, proof: nil)
        }
    }

    /// One entry in words; free-text details (a dead letter's reason) masked for display.
    static func describe(_ entry: AuditEntry) -> String {
        let details = AuditEntry.masked(entry.event.details)
        switch entry.event.kind.rawValue {
        case "mapped":
            if let trigger = details["trigger"]?.text {
                return "a change of \(details["trigger_entity"]?.text ?? "?") at \(details["system"]?.text ?? "?") set off trigger \(trigger), "
                    + "which made this by \(details["mapping"]?.text ?? "?")"
            }
            return "pulled from \(details["system"]?.text ?? "?") and mapped by \(details["mapping"]?.text ?? "?")"
        case "sealed": return "sealed into bundle \(entry.event.bundle ?? "?") (\(entry.event.lane ?? "?") #\(details["sequence"]?.text ?? "?"))"
        case "received": return "received bundle \(entry.event.bundle ?? "?") from \(details["sender"]?.text ?? "?"), signature verified"
        case "applied":
            let targets = (details["targets"].flatMap { if case .list(let items) = $0 { items.compactMap(\.text) } else { nil } } ?? []).joined(separator: ", ")
            return "applied to \(targets.isEmpty ? "?" : targets)"
        case "delivered": return "receipt from \(details["from"]?.text ?? "the far side") settled bundle \(entry.event.bundle ?? "?")"
        default:
            return details.sorted { $0.key < $1.key }.compactMap { key, value in value.text.map { "\(key) \($0)" } }.prefix(4).joined(separator: ", ")
        }
    }

    /// The trace as JSON, for `--json` and the console's API.
    public var value: Value {
        .object(["key_digested": true, "hops": .list(hops.map { hop in
            var object: [String: Value] = [
                "node": .string(hop.node), "zone": .string(hop.zone), "seq": .int(hop.sequence), "at": .string(hop.at), "kind": .string(hop.kind),
                "detail": .string(hop.detail),
            ]
            if let flow = hop.flow { object["flow"] = .string(flow) }
            if let lane = hop.lane { object["lane"] = .string(lane) }
            if let bundle = hop.bundle { object["bundle"] = .string(bundle) }
            if let outcome = hop.outcome { object["outcome"] = .string(outcome) }
            if let proof = hop.proof {
                object["proof"] = .object([
                    "index": .int(Int64(proof.index)), "count": .int(Int64(proof.count)), "leaf": .string(proof.leaf),
                    "path": .list(proof.path.map(Value.string)), "root": .string(proof.root), "valid": .bool(proof.valid),
                ])
            }
            return .object(object)
        })])
    }
}
