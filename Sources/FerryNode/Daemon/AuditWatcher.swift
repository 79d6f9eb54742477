import Foundation
import Logging
import ServiceLifecycle
import FerryCore
import FerryAudit

/// Verifies the node's audit chain every `interval` seconds while the daemon runs, so a
/// broken or altered log is noticed by monitoring (`ferry_audit_chain_ok` 0, alert
/// `FerryAuditChainBroken` in `Ops/prometheus/ferry-alerts.yml`) rather than at the next
/// audit. The first verification runs at start.
struct AuditWatcher: Service {
    let node: Node
    let worker: NodeWorker
    let interval: TimeInterval
    let health: HealthState
    let logger: Logger

    func run() async throws {
        await periodically(every: interval) {
            do {
                let verification = try await worker.run { try node.verifyAudit() }
                NodeMetrics.audit(ok: true, entries: verification.entries)
                await health.succeeded("audit chain")
                logger.debug("audit chain verified", metadata: ["entries": "\(verification.entries)"])
            } catch let error as FerryError where error.code == .auditBroken {
                NodeMetrics.audit(ok: false, entries: nil)
                await health.failed("audit chain", error.message)
                logger.critical("audit chain does not verify", metadata: ["error": .string("\(error)")])
            } catch {
                // A store that could not be read (busy, down) says nothing about the chain:
                // counted apart, so only a broken chain raises FerryAuditChainBroken.
                NodeMetrics.auditVerifyFailed()
                logger.error("audit chain could not be verified now", metadata: ["error": .string("\(error)")])
            }
        }
    }
}
