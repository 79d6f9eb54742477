public import Foundation
import FerryCore
import FerrySeal
import FerryQueue
import FerryAudit
import FerryTransport

extension Node {
    /// Processes inbound bundles once: verify and stage each, apply staged records, send
    /// receipts back where a return path exists.
    ///
    /// Each lane's intake (with its gaps and resend requests) is one job, and applying (with
    /// receipts and reconcile steps) another: with several workers on the node, one takes in
    /// a lane while another applies what was staged, and a job another worker holds is left
    /// to it. Inside one call the two overlap as well: intake runs on a thread of its own
    /// (`IntakeThread`) while this one applies each bundle once it is staged; the last
    /// apply, the reconcile steps and the receipts follow when intake has ended.
    public func receive(now: Date = Date()) throws -> ReceiveReport {
        let lanes = topology.inboundLanes(to: zone)
        let intake = try IntakeThread<ReceiveReport>.start { [self] thread in
            var report = ReceiveReport()
            for lane in lanes where !thread.shouldStop {
                _ = try ifClaimed("accept:\(lane.name)") { try self.intake(lane, now: now, into: &report, thread: thread) }
            }
            return report
        }
        var report = ReceiveReport()
        do {
            _ = try ifClaimed("apply") { try applyWhileStaging(intake, now: now, into: &report) }
        } catch {
            intake.stop()
            _ = try? intake.result()
            throw error
        }
        report.absorb(try intake.result())
        return report
    }

    /// Applies what intake stages until it ends, then settles: the last apply, reconcile
    /// steps and receipts. An intake failure stops the applying and is thrown as it is.
    private func applyWhileStaging(_ intake: IntakeThread<ReceiveReport>, now: Date, into report: inout ReceiveReport) throws {
        var sinks = SinkCache()
        while !intake.isFinished {
            let seen = intake.stagedCount
            let counts = try applyPending(now: now, sinks: &sinks)
            report.absorb(counts)
            // Nothing was due: wait for intake's next bundle rather than spin (records
            // postponed in this call are due only after it).
            if counts.total == 0 { intake.waitForMore(than: seen, seconds: 1) }
        }
        _ = try intake.result()
        report.reconciled = try processReconcile()
        report.absorb(try applyPending(now: now, sinks: &sinks))
        report.receiptsSent = try sendReceipts()
    }

    /// Verifies and stages what waits in one lane's transfer area.
    /// Stops between bundles when `thread` says so, and tells it after each one is staged.
    private func intake(_ lane: Lane, now: Date, into report: inout ReceiveReport, thread: IntakeThread<ReceiveReport>) throws {
        let drop = DirectoryDrop(directory: lane.directory)
        for stray in try drop.strays() {
            try setAside(stray, lane: lane, drop: drop)
            report.bundlesRejected += 1
            report.rejections.append("a file named \(OutsideText.describe(stray.lastPathComponent)) is not a bundle name; moved to quarantine")
        }
        for file in try drop.pending() {
            if thread.shouldStop { return }
            defer { thread.noteStaged() }
            do {
                let (header, requested, refused) = try accept(file, lane: lane, now: now)
                report.rejected += refused
                try drop.archive(file)
                NodeMetrics.bundles("in", lane: lane.name, 1)
                if header.kind == .resend {
                    report.resent += try resend(requested, requestedOn: lane)
                } else if header.kind == .receipt {
                    report.receiptsAccepted += 1
                } else {
                    report.bundlesAccepted += 1
                    // A documents bundle's lines are chunks, not records.
                    if header.kind != .documents { report.recordsStaged += header.records }
                }
            } catch let error as FerryError where error.code == .bundleDuplicate && !lane.hasReturn {
                // A one-way lane's carousel drops every bundle several times: copies are
                // expected, archived and audited, never applied again.
                try store.write { tx in
                    try audit.append(tx, AuditEvent(.duplicate, lane: lane.name, details: ["file": .string(file.lastPathComponent)]))
                }
                try drop.archive(file)
                report.duplicates += 1
            } catch let error as FerryError where error.code.family == .bundle {
                try reject(file, lane: lane, error: error, drop: drop)
                NodeMetrics.rejected(error.code.rawValue)
                report.bundlesRejected += 1
                report.rejections.append(error.description)
            }
        }
        try checkGaps(lane, now: now, into: &report)
    }

    /// Reports the lane's gaps and asks for them again: inside the lane's intake job, so
    /// another worker half-way through the lane's files is never taken for a gap.
    private func checkGaps(_ lane: Lane, now: Date, into report: inout ReceiveReport) throws {
        // One status snapshot serves both the gap report and the resend requests.
        var status = try store.read { tx in try tx.queueStatus() }
        status.inbound = status.inbound.filter { $0.lane == lane.name }
        report.missing += status.gaps
        report.resendRequests += try requestResends(for: status, now: now)
        for warning in status.gaps { logger.warning("\(warning)") }
    }

    /// Throws unless the ledger has seen neither the bundle's id nor its sequence on `lane`.
    private func refuseIfSeen(_ header: BundleHeader, lane: Lane, name: String, _ tx: StoreTransaction) throws {
        switch try tx.ledger.seen(id: header.id, lane: lane.name, sequence: header.sequence) {
        case .duplicateID:
            throw FerryError(.bundleDuplicate, "bundle \(header.id) was already received", at: .bundle(id: name, offset: 14),
                hint: "a copy was dropped twice; nothing was applied again")
        case .replayedSequence:
            throw FerryError(.bundleReplay, "sequence \(header.sequence) on \(lane.name) was already received",
                at: .bundle(id: name, offset: 14), hint: "an old bundle was replayed; nothing was applied")
        case .new: break
        }
    }

    /// Verifies one bundle and stages its content in one transaction: either all of it is
    /// staged and recorded as received, or nothing is.
    /// Returns the header, for a resend request the sequences asked for, and how many
    /// records were rejected because a document they name was refused on arrival.
    func accept(_ file: URL, lane: Lane, now: Date) throws -> (BundleHeader, [Int64], Int) {
        let info = try BundleReader.inspect(file)
        let header = info.header
        let name = file.lastPathComponent
        guard header.lane == lane.name else {
            throw FerryError(.bundleWrongLane, "bundle is for lane \(header.lane) but arrived on \(lane.name)",
                at: .bundle(id: name, offset: 14), hint: "a bundle was copied into the wrong transfer directory")
        }
        var reader = BundleReader(keys: keys, trust: trust)
        reader.limits.stagingDirectory = stagingDirectory
        return try store.write { tx in
            try refuseIfSeen(header, lane: lane, name: name, tx)
            // The ledger row goes first so staged records can reference it; if anything
            // below throws, the whole transaction (ledger row included) rolls back.
            try tx.ledger.accept(id: header.id, lane: lane.name, sequence: header.sequence, kind: header.kind,
                sender: header.sender, contentHash: String(name.dropLast(DirectoryDrop.suffix.count)), records: header.records)
            var staged = 0
            var outcomes: [ReceiptLine] = []
            var evidence: [Value] = []
            var requested: [Int64] = []
            var leaves: [AuditLeaf] = []
            var completed: [(digest: String, size: Int64)] = []
            var carried: [String] = []
            var refusedEarlier = 0
            // Records are staged many to a statement. One that names documents is staged at
            // once, with those before it: waiting for them looks its row up.
            var staging: [Inbox.Staged] = []
            let opened = try reader.open(file, now: now) { line in
                switch header.kind {
                case .records:
                    let envelope = try RecordEnvelope(line: line)
                    staging.append(Inbox.Staged(bundle: header.id, flow: envelope.flow, entity: envelope.record.entity,
                        key: envelope.record.keyString, version: envelope.record.version, line: line))
                    if !envelope.record.documents.isEmpty || staging.count >= 1024 {
                        try tx.inbox.stage(staging)
                        staging.removeAll(keepingCapacity: true)
                    }
                    if try awaitDocuments(of: envelope.record, bundle: header.id, tx) { refusedEarlier += 1 }
                    staged += 1
                    if let leaf = leaf(entity: envelope.record.entity, key: envelope.record.keyString, line: line) { leaves.append(leaf) }
                case .receipt:
                    if let far = ReceiptLine.evidence(in: line) {
                        evidence.append(far)
                    } else {
                        outcomes.append(try ReceiptLine(line: line))
                    }
                case .resend:
                    requested.append(try ResendLine(line: line).sequence)
                case .reconcile:
                    // Answered after the transaction: reading a system can take a while.
                    try tx.reconcileRuns.stage(bundle: header.id, lane: lane.name, line: line)
                case .documents:
                    let chunk = try takeChunk(line, tx)
                    if carried.last != chunk.digest { carried.append(chunk.digest) }
                    if chunk.whole { completed.append((chunk.digest, chunk.size)) }
                case .local:
                    // The header check refuses this kind: nothing sealed is a local delivery.
                    throw FerryError(.bundleMalformed, "a sealed bundle claims to be a local delivery")
                }
            }
            try tx.inbox.stage(staging)
            try audit.append(tx, AuditEvent(.received, lane: lane.name, bundle: opened.id, details: [
                "sequence": .int(opened.sequence), "kind": .string(opened.kind.rawValue), "sender": .string(opened.sender),
                "records": .int(Int64(opened.records)), "merkle_root": .string(opened.merkleRoot), "file": .string(name),
            ].merging(carried.isEmpty ? [:] : ["documents": .list(carried.map(Value.string))]) { a, _ in a },
                leaves: leaves.count == opened.records ? leaves : []))
            var refused = refusedEarlier
            for document in completed {
                refused += try finishDocument(document.digest, size: document.size, lane: lane.name, bundle: opened.id, tx)
            }
            if opened.kind == .receipt {
                try settleReceipt(tx, outcomes: outcomes, evidence: evidence, lane: lane.name, receipt: opened.id, sender: opened.sender)
            }
            return (opened, requested, refused)
        }
    }

    /// Records a rejection in the audit log and moves the file to quarantine with its reason.
    func reject(_ file: URL, lane: Lane, error: FerryError, drop: DirectoryDrop) throws {
        let header = try? BundleReader.inspect(file).header
        try store.write { tx in
            try audit.append(tx, AuditEvent(.rejected, lane: lane.name, bundle: header?.id, details: [
                "code": .string(error.code.rawValue), "reason": .string(error.message), "file": .string(file.lastPathComponent),
                "sender": header.map { .string($0.sender) } ?? .null, "sequence": header.map { .int($0.sequence) } ?? .null,
            ]))
        }
        try drop.quarantine(file, reason: error.description)
        logger.warning("bundle rejected", metadata: ["file": .string(file.lastPathComponent), "code": .string(error.code.rawValue)])
    }

    /// Quarantines a file whose name is not a content hash, and audits it once, naming it only
    /// in `OutsideText.describe`'s inert form: the name was chosen outside Ferry, and the
    /// audit log is shown on the auditor console.
    func setAside(_ file: URL, lane: Lane, drop: DirectoryDrop) throws {
        let shown = OutsideText.describe(file.lastPathComponent)
        let reason = "the file name is not a content hash (64 lowercase hex digits and .bundle); Ferry never writes such a name"
        try store.write { tx in
            try audit.append(tx, AuditEvent(.rejected, lane: lane.name, details: [
                "code": .string(FerryError.Code.bundleBadName.rawValue), "reason": .string(reason), "file": .string(shown),
            ]))
        }
        try drop.quarantine(file, reason: "error[\(FerryError.Code.bundleBadName.rawValue)]: \(reason)\n  file: \(shown)")
        NodeMetrics.rejected(FerryError.Code.bundleBadName.rawValue)
        logger.warning("file with a foreign name set aside", metadata: ["file": .string(shown), "lane": .string(lane.name)])
    }
}
