import Foundation
import FerryCore
import FerrySeal
import FerryAudit
import FerryConsole
import FerryTransport

extension Node {
    /// The bundle upload endpoint's view of this node: which lanes it receives and how big
    /// a bundle on each may be, what it does with an upload, and how refusals are audited.
    func uploadHandler() -> BundleUploadHandler {
        BundleUploadHandler(
            capacity: { from, to in self.uploadCapacity(from: from, to: to) },
            accept: { from, to, file in self.acceptUpload(from: from, to: to, file: file) },
            audit: { summary in self.auditRefusedUploads(summary) })
    }

    /// The largest upload this node takes on `from → to`, or nil when it does not receive
    /// that lane. A lane's `max_bytes` bounds its transfer area, so no larger bundle could
    /// be stored there anyway.
    func uploadCapacity(from: String, to: String) -> Int64? {
        guard to == zone, let lane = topology.lane(from: from, to: to) else { return nil }
        return lane.policy.maxBytes ?? Int64.max
    }

    /// A bundle pushed over HTTP lands in its lane's transfer directory exactly as a dropped
    /// file would, but only once it is known to come from the lane's sender: its header
    /// names this lane and the sending zone's node, its sender key is in this node's trust
    /// store, and its signature verifies. Needs no private key. Answers never quote the
    /// bundle's header: a refusal's text is fixed.
    func acceptUpload(from: String, to: String, file: URL) -> BundleUploadHandler.Answer {
        guard to == zone, let lane = topology.lane(from: from, to: to) else {
            return .init(status: 404, message: "this node does not receive \(from)→\(to)", reason: "no-lane")
        }
        let info: BundleInfo
        do {
            info = try BundleReader.inspect(file)
        } catch {
            return .init(status: 400, message: "not a well-formed Ferry bundle", reason: "malformed")
        }
        guard info.header.lane == lane.name else {
            return .init(status: 403, message: "the bundle is not for lane \(lane.name)", reason: "wrong-lane")
        }
        guard let sender = topology.node(inZone: from), info.header.sender == sender.name else {
            return .init(status: 403, message: "the bundle is not from the node of zone \(from)", reason: "wrong-sender")
        }
        do {
            _ = try BundleReader.verifySignature(of: file, trust: trust)
        } catch let error as FerryError where error.code == .bundleUnknownSender {
            return .init(status: 403, message: "the bundle's sender key is not trusted by this node", reason: "untrusted-key")
        } catch let error as FerryError where error.code == .bundleBadSignature || error.code == .bundleNameMismatch {
            return .init(status: 403, message: "the bundle's signature or content hash does not verify", reason: "bad-signature")
        } catch {
            return .init(status: 400, message: "not a well-formed Ferry bundle", reason: "malformed")
        }
        do {
            try DirectoryDrop(directory: lane.directory, maxFiles: lane.policy.maxFiles, maxBytes: lane.policy.maxBytes).ship(file)
            return .init(status: 201, message: "stored for \(lane.name)")
        } catch let error as FerryError where error.code == .transportFull {
            return .init(status: 429, message: "the transfer area of \(lane.name) is full; retry later", reason: "full")
        } catch {
            logger.error("cannot store an upload", metadata: ["lane": .string(lane.name), "error": .string("\(error)")])
            return .init(status: 503, message: "cannot store the bundle now; retry later")
        }
    }

    /// One audit entry for refused uploads: the refusal that opened the window, with the
    /// counts held back in the window before. Every value in it was checked or chosen by
    /// the endpoint (reason codes, status, a lane of this node, the peer's address).
    func auditRefusedUploads(_ summary: HTTPRefusalSummary) {
        var details: [String: Value] = [
            "reason": .string(summary.refusal.reason), "status": .int(Int64(summary.refusal.status)),
            "client": .string(summary.refusal.client),
        ]
        if !summary.heldBack.isEmpty {
            details["held_back"] = .object(summary.heldBack.mapValues { .int(Int64($0)) })
            details["held_back_clients"] = .list(summary.heldBackClients.map(Value.string))
            if summary.moreClients { details["held_back_clients_truncated"] = .bool(true) }
        }
        do {
            try store.write { tx in
                try audit.append(tx, AuditEvent(.uploadRefused, actor: "http", lane: summary.refusal.lane, details: details))
            }
        } catch {
            logger.error("cannot audit refused uploads", metadata: ["error": .string("\(error)")])
        }
    }
}

