public import Foundation
public import FerryCore
import FerrySeal
import FerryQueue
import FerryAudit
import FerryTransport

extension FerryError.Code {
    /// A sealed bundle's file vanished from the node's outgoing folder before it shipped.
    public static let outgoingMissing: Self = "bundle.outgoing-missing"
}

extension Node {
    /// What a pack run did: bundles that left, and lanes whose transfer area refused them.
    public struct PackResult: Sendable {
        public var shipped: [ShippedBundle] = []
        /// "lane: reason" for every lane held back this run.
        public var held: [String] = []
        /// Lanes whose records wait for a fuller bundle (`bundle_age`), with how many.
        public var waiting: [String] = []
        /// Bundles the far side refused this run, retried later or dead-lettered.
        public var refused: [String] = []

        /// Adds a later run's outcome: every bundle shipped or refused, and each hold or wait
        /// once (a lane held all along is reported by every run).
        mutating func absorb(_ later: PackResult) {
            shipped += later.shipped
            refused += later.refused
            // Lines are "lane: reason"; the later run's word on a lane stands.
            func lane(_ line: String) -> Substring { line.prefix { $0 != ":" } }
            held = held.filter { line in !later.held.contains { lane($0) == lane(line) } } + later.held
            waiting = later.waiting
        }
    }

    /// Seals every lane's waiting records into bundles and ships them. Bundles left half
    /// done by a crash are finished first: `sealing` ones are sealed again from their
    /// assigned records (same sequence), `sealed` ones are shipped. One-way lanes re-drop
    /// shipped bundles until the carousel's copies are made. A lane whose transfer area is
    /// missing, unwritable or full is held: its records stay queued and the next run resumes.
    /// A lane with less than a full bundle waits out its `bundle_age` unless `flush` is set.
    /// - Parameters:
    ///   - fullOnly: only seal and ship full bundles (`bundle_records` or `bundle_bytes`),
    ///     nothing else: what a sync does while it is still reading, so the far side starts
    ///     early without the read being cut into small bundles.
    ///   - earlier: what this run already shipped; a carousel copy of those waits for a later run.
    ///
    /// Packing is one job per node: when another worker of the node is packing, this does
    /// nothing and returns an empty result; that worker seals what is waiting.
    public func pack(now: Date = Date(), flush: Bool = false, fullOnly: Bool = false, earlier: PackResult? = nil) throws -> PackResult {
        try ifClaimed("pack") { try packClaimed(now: now, flush: flush, fullOnly: fullOnly, earlier: earlier) } ?? PackResult()
    }

    private func packClaimed(now: Date, flush: Bool, fullOnly: Bool, earlier: PackResult?) throws -> PackResult {
        var result = PackResult()
        var held = try heldLanes(now: now, into: &result)
        func attempt(_ bundle: BundleLedger.Outbound) throws {
            let (stamp, laneHeld) = (Timestamp.format(now), held.contains(bundle.lane))
            guard !OutboundLifecycle.isWaiting(bundle, now: stamp, laneHeld: laneHeld) else { return }
            let lifecycle = try self.lifecycle(bundle.lane)
            guard lifecycle.isDue(bundle, now: stamp, laneHeld: laneHeld) else { return }
            do {
                result.shipped.append(try ship(bundle, lifecycle: lifecycle))
                try releaseHold(bundle.lane)
            } catch let error as FerryError where error.code == .transportRefused || error.code == .outgoingMissing {
                // This bundle, not the lane: retried on its own, then dead-lettered. Packing
                // stops for the run, or a receiver refusing everything would have the whole
                // outbox sealed into refused bundles.
                held.insert(bundle.lane)
                result.refused.append(try shipRefused(bundle, error: error, lifecycle: lifecycle, now: now))
            } catch let error as FerryError where error.code.family == .transport {
                held.insert(bundle.lane)
                result.held.append("\(bundle.lane): \(error.message)")
                try hold(bundle, error: error, lifecycle: lifecycle, now: now)
            }
        }
        // Records bundles a crash left half-sealed are sealed again from their outbox rows.
        // Only records bundles: receipts, resends and reconcile steps are sealed by the job
        // that reserved them, which may be running in another worker right now.
        for bundle in try store.read({ tx in try tx.ledger.outbound(state: .sealing) }) where bundle.kind == .records || bundle.kind == .documents {
            try sealAgain(bundle)
        }
        for bundle in try store.read({ tx in try tx.ledger.outbound(state: .sealed) }) where !fullOnly { try attempt(bundle) }
        for lane in outboundLanes where !lane.hasReturn && !fullOnly {
            for bundle in try store.read({ tx in try tx.ledger.carousel(lane: lane.name, copies: lane.policy.carouselCopies) })
            where !(earlier?.shipped.contains { $0.lane == bundle.lane && $0.sequence == bundle.sequence } ?? false) {
                try attempt(bundle)
            }
        }
        // A lane's documents go before the records that name them: they are owed from the
        // transaction that queued those records.
        for laneName in try store.read({ tx in try tx.documents.lanesOwed() }) where !held.contains(laneName) {
            for id in try sealDocuments(lane: laneName) where !held.contains(laneName) {
                guard let bundle = try store.read({ tx in try tx.ledger.outbound(id: id) }) else { continue }
                try attempt(bundle)
            }
        }
        for laneName in try store.read({ tx in try tx.outbox.lanesWithPending() }) where !held.contains(laneName) {
            while !held.contains(laneName), let id = try sealNext(laneName, now: now, flush: flush, fullOnly: fullOnly, into: &result) {
                guard let bundle = try store.read({ tx in try tx.ledger.outbound(id: id) }) else { break }
                try attempt(bundle)
            }
        }
        return result
    }

    /// Seals again a records or documents bundle a crash left in `sealing`, from what its
    /// reservation noted: its outbox rows, or its part of a stored document.
    private func sealAgain(_ bundle: BundleLedger.Outbound) throws {
        if bundle.kind == .documents {
            guard let part = try store.read({ tx in try tx.documents.part(bundle: bundle.id) }),
                let entry = try store.read({ tx in try tx.documents.entry(part.digest) })
            else { return }
            try sealDocumentPart(id: bundle.id, lane: bundle.lane, sequence: bundle.sequence, digest: part.digest, size: entry.size,
                first: part.first, end: part.end)
            return
        }
        let items = try store.read { tx in try tx.outbox.items(bundle: bundle.id) }
        try seal(id: bundle.id, lane: bundle.lane, sequence: bundle.sequence, kind: .records, lines: items.map(\.line),
            leaves: items.compactMap { leaf(entity: $0.entity, key: $0.key, line: $0.line) })
    }

    /// Lanes still waiting out a backoff, left alone this run.
    private func heldLanes(now: Date, into result: inout PackResult) throws -> Set<String> {
        var held = Set<String>()
        for lane in outboundLanes {
            if let hold = try store.read({ tx in try tx.holds.hold(lane: lane.name) }), hold.nextAttemptAt > Timestamp.format(now) {
                held.insert(lane.name)
                result.held.append("\(lane.name): \(hold.reason) (held since \(hold.since), next try \(hold.nextAttemptAt))")
            }
        }
        return held
    }

    /// Reserves and seals the lane's next bundle from its waiting records; nil when none
    /// wait, or when fewer than a full bundle wait younger than `bundle_age` (unless `flush`).
    private func sealNext(_ laneName: String, now: Date, flush: Bool, fullOnly: Bool, into result: inout PackResult) throws -> String? {
        let (lane, _) = try route(laneName)
        let id = hex(try randomBytes(16))
        let cutoff = Timestamp.format(now.addingTimeInterval(-lane.policy.bundleAge))
        var wait: String?
        let reserved: (items: [OutboxItem], sequence: Int64)? = try store.write { tx in
            let (items, full) = try tx.outbox.pending(lane: laneName, limit: lane.policy.bundleRecords, maxBytes: lane.policy.bundleBytes)
            guard let oldest = items.first, full || !fullOnly else { return nil }
            if !full, !flush, lane.policy.bundleAge > 0, oldest.enqueuedAt > cutoff {
                wait = "\(laneName): \(items.count) records wait for a fuller bundle (oldest enqueued \(oldest.enqueuedAt), bundle_age \(Int(lane.policy.bundleAge))s)"
                return nil
            }
            let sequence = try tx.ledger.reserve(id: id, lane: laneName, kind: .records, records: items.count)
            try tx.outbox.assign(ids: items.map(\.id), to: id)
            return (items, sequence)
        }
        if let wait { result.waiting.append(wait) }
        guard let reserved else { return nil }
        try seal(id: id, lane: laneName, sequence: reserved.sequence, kind: .records, lines: reserved.items.map(\.line),
            leaves: reserved.items.compactMap { leaf(entity: $0.entity, key: $0.key, line: $0.line) })
        return id
    }

    /// The lifecycle of bundles on lane `laneName`.
    func lifecycle(_ laneName: String) throws -> OutboundLifecycle {
        OutboundLifecycle(lane: try route(laneName).0, retry: topology.retry)
    }

    /// Holds a lane whose transfer area is unreachable; audited when the hold starts, later
    /// failures only move the next try.
    private func hold(_ bundle: BundleLedger.Outbound, error: FerryError, lifecycle: OutboundLifecycle, now: Date) throws {
        try store.write { tx in
            let next = lifecycle.laneRetry(after: (try tx.holds.hold(lane: bundle.lane)?.attempts ?? 0) + 1, now: now)
            let hold = try tx.holds.refused(lane: bundle.lane, reason: error.message, now: Timestamp.format(now), next: Timestamp.format(next))
            if hold.attempts == 1 {
                try audit.append(tx, AuditEvent(.held, lane: bundle.lane, bundle: bundle.id, details: [
                    "code": .string(error.code.rawValue), "reason": .string(error.message),
                ]))
            }
        }
        logger.warning("lane held", metadata: ["lane": .string(bundle.lane), "reason": .string(error.message)])
    }

    /// Counts a refused ship attempt; out of attempts, the bundle goes to dead letters.
    /// Returns the line for the run's report.
    func shipRefused(_ bundle: BundleLedger.Outbound, error: FerryError, lifecycle: OutboundLifecycle, now: Date) throws -> String {
        let subject = "bundle \(bundle.lane) #\(bundle.sequence)"
        logger.warning("bundle refused", metadata: ["lane": .string(bundle.lane), "sequence": "\(bundle.sequence)", "reason": .string(error.message)])
        return try store.write { tx in
            switch lifecycle.afterRefusal(bundle, now: now) {
            case .dead(let attempts):
                try tx.ledger.dead(id: bundle.id, from: OutboundLifecycle.sources(of: .refused), error: error.message)
                try tx.deadLetters.add(stage: "ship", flow: nil, bundle: bundle.id, inboxID: nil, subject: subject, reason: error.message,
                    position: "\(bundle.lane)#\(bundle.sequence)", attempts: attempts)
                try audit.append(tx, AuditEvent(.deadLettered, lane: bundle.lane, bundle: bundle.id, details: [
                    "stage": "ship", "code": .string(error.code.rawValue), "reason": .string(error.message), "attempts": .int(Int64(attempts)),
                ]))
                return "\(subject): \(error.message); dead-lettered after \(attempts) attempts"
            case .retry(let attempts, let nextDate):
                let next = Timestamp.format(nextDate)
                try tx.ledger.shipFailed(id: bundle.id, attempts: attempts, next: next, error: error.message)
                try audit.append(tx, AuditEvent(.shipRefused, lane: bundle.lane, bundle: bundle.id, details: [
                    "code": .string(error.code.rawValue), "reason": .string(error.message), "attempt": .int(Int64(attempts)), "next_attempt": .string(next),
                ]))
                return "\(subject): \(error.message); attempt \(attempts) of \(lifecycle.retry.attempts), next \(next)"
            }
        }
    }

    /// Ends a lane's hold after a successful drop, auditing how long it lasted.
    func releaseHold(_ lane: String) throws {
        guard try store.read({ tx in try tx.holds.hold(lane: lane) }) != nil else { return }
        try store.write { tx in
            if let hold = try tx.holds.released(lane: lane) {
                try audit.append(tx, AuditEvent(.resumed, lane: lane, details: [
                    "held_since": .string(hold.since), "attempts": .int(Int64(hold.attempts)),
                ]))
            }
        }
    }

    /// Lanes leaving this node's zone.
    var outboundLanes: [Lane] {
        topology.zones.compactMap { other in other.name == zone ? nil : topology.lane(from: zone, to: other.name) }
    }

    /// Seals lines for a lane and records the result; the file stays in this node's
    /// outgoing folder until delivery is confirmed.
    /// `leaves` index the records for the audit log: the same Merkle leaves as the bundle's,
    /// so the sealed entry's records_root equals the bundle's signed merkle_root.
    func seal(id: String, lane laneName: String, sequence: Int64, kind: BundleHeader.Kind, lines: [[UInt8]], leaves: [AuditLeaf] = []) throws {
        try seal(id: id, lane: laneName, sequence: sequence, kind: kind, lineCount: lines.count, leaves: leaves) { append in
            for line in lines { try append(line) }
        }
    }

    /// Seals the lines `write` hands to its `append` as they are made, so a bundle of
    /// document chunks never sits in memory whole.
    /// - Parameter documents: what a documents bundle carries, for its manifest and its
    ///   audit entry.
    func seal(
        id: String, lane laneName: String, sequence: Int64, kind: BundleHeader.Kind, lineCount: Int, leaves: [AuditLeaf] = [],
        documents: [BundleManifest.Document] = [], write: (_ append: ([UInt8]) throws -> Void) throws -> Void
    ) throws {
        let (lane, recipient) = try route(laneName)
        var parameters = BundleWriter.Parameters(lane: laneName, sequence: sequence, kind: kind)
        parameters.id = id
        // Document content is mostly compressed already (PDF, OFD, JPEG): zstd's fastest level.
        if kind == .documents { parameters.compressionLevel = 1 }
        let sender = try key(for: lane.suite)
        let writer = try BundleWriter(directory: outgoingDirectory, sender: sender, recipients: [recipient], parameters: parameters)
        try write { try writer.append(line: $0) }
        let sealed = try writer.finish()
        if lane.policy.manifest, lane.http == nil {
            let manifest = BundleManifest(header: sealed.header, contentHash: sealed.contentHash, bundleSize: sealed.size, documents: documents)
            try Data(try manifest.signed(with: sender)).write(to: BundleManifest.location(of: sealed.url), options: .atomic)
        }
        try store.write { tx in
            try tx.ledger.sealed(id: id, from: OutboundLifecycle.sources(of: .sealed), file: sealed.url.path, contentHash: sealed.contentHash, merkleRoot: sealed.header.merkleRoot)
            try audit.append(tx, AuditEvent(.sealed, lane: lane.name, bundle: id, details: [
                "sequence": .int(sequence), "kind": .string(kind.rawValue), "records": .int(Int64(sealed.header.records)),
                "merkle_root": .string(sealed.header.merkleRoot), "content_hash": .string(sealed.contentHash),
                "suite": .string(sealed.header.suite), "recipient": .string(recipient.keyID), "bytes": .int(sealed.size),
            ].merging(documents.isEmpty ? [:] : ["documents": .list(documents.map { .string($0.digest) })]) { a, _ in a },
                leaves: leaves.count == lineCount ? leaves : []))
        }
    }

    /// Drops a sealed bundle into its lane's transfer directory.
    func ship(_ bundle: BundleLedger.Outbound, lifecycle: OutboundLifecycle? = nil) throws -> ShippedBundle {
        let (lane, _) = try route(bundle.lane)
        let lifecycle = lifecycle ?? OutboundLifecycle(lane: lane, retry: topology.retry)
        guard let file = bundle.file else { throw FerryError(.internalFailure, "bundle \(bundle.id) has no file") }
        guard FileManager.default.fileExists(atPath: file) else {
            throw FerryError(.outgoingMissing, "sealed bundle \(bundle.lane) #\(bundle.sequence) is gone from \(file)",
                hint: "restore the file from a backup and re-drive it (ferry queue retry), or purge it; the far side reports the sequence missing")
        }
        let destination: String
        let transport: String
        if let http = lane.http {
            var options = HTTPPush.Options(url: "\(http.url)/bundles/\(lane.from)/\(lane.to)")
            options.caBundle = http.caBundle
            options.clientCertificate = http.clientCertificate
            options.clientKey = http.clientKey
            options.timeout = http.timeout
            try HTTPPush(options: options).ship(URL(fileURLWithPath: file))
            destination = options.url
            transport = "http"
        } else {
            let drop = DirectoryDrop(directory: lane.directory, maxFiles: lane.policy.maxFiles, maxBytes: lane.policy.maxBytes)
            // The manifest goes first: a gap's filter that checks bundles against their
            // manifests never sees a bundle without one.
            let manifest = BundleManifest.location(of: URL(fileURLWithPath: file))
            if lane.policy.manifest, FileManager.default.fileExists(atPath: manifest.path) { try drop.ship(manifest) }
            destination = try drop.ship(URL(fileURLWithPath: file)).path
            transport = "dir"
        }
        try store.write { tx in
            try tx.ledger.dropped(id: bundle.id, from: OutboundLifecycle.sources(of: .dropped), to: lifecycle.afterDrop(bundle))
            try audit.append(tx, AuditEvent(.shipped, lane: lane.name, bundle: bundle.id, details: [
                "sequence": .int(bundle.sequence), "to": .string(destination), "transport": .string(transport),
                "copy": .int(Int64(bundle.copies + 1)),
            ]))
        }
        NodeMetrics.bundles("out", lane: lane.name, 1)
        return ShippedBundle(lane: lane.name, sequence: bundle.sequence, records: bundle.records, kind: bundle.kind.rawValue, file: destination)
    }

    /// The lane with this name and the key to seal for on it.
    func route(_ laneName: String) throws -> (Lane, PublicKey) {
        guard let id = LaneID(laneName), id.from == zone, let lane = topology.lane(from: id.from, to: id.to) else {
            throw FerryError(.config, "lane \(laneName) no longer exists in \(topology.file)",
                hint: "restore the channel, or purge the lane's queued records")
        }
        let peer = try peer(inZone: id.to)
        guard let recipient = trust.current(forNode: peer.name, suite: lane.suite) else {
            throw FerryError(.config, "no trusted \(lane.suite) key for node \(peer.name)", hint: "add its .pub file under trust:")
        }
        return (lane, recipient)
    }
}
