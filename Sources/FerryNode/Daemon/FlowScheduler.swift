import Foundation
import FerryCore
import Logging
import ServiceLifecycle
import FerryQueue

/// Runs each of the node's scheduled flows when its schedule fires.
struct FlowScheduler: Service {
    let node: Node
    let worker: NodeWorker
    let health: HealthState
    let logger: Logger

    /// Flows whose source is in this node's zone and that have a schedule.
    var flows: [(Topology.Flow, Schedule)] {
        node.topology.flows.compactMap { flow in
            guard let text = flow.schedule, node.topology.system(named: flow.from)?.zone == node.zone,
                case .success(let schedule) = Schedule.parse(text)
            else { return nil }
            return (flow, schedule)
        }
    }

    func run() async throws {
        let flows = self.flows
        logger.info("scheduler started", metadata: ["flows": .string(flows.map(\.0.name).joined(separator: ","))])
        guard !flows.isEmpty else {
            // A node that only receives has nothing to schedule, but must keep running: a
            // service that returns shuts the whole node down.
            try? await gracefulShutdown()
            return
        }
        await withTaskGroup(of: Void.self) { group in
            for (flow, schedule) in flows {
                group.addTask { await self.loop(flow.name, schedule) }
            }
        }
    }

    /// Sleeps until the next firing, runs the flow, repeats, until graceful shutdown.
    func loop(_ flow: String, _ schedule: Schedule) async {
        var last = Date()
        while !Task.isShuttingDownGracefully {
            guard let next = schedule.next(after: last) else { return }
            do {
                try await cancelWhenGracefulShutdown {
                    try await Task.sleep(for: .seconds(max(0, next.timeIntervalSinceNow)))
                }
            } catch {
                return  // shutdown while waiting: nothing in flight
            }
            last = next
            do {
                let report = try await worker.run { try node.sync(flow: flow) }
                // Quiet runs stay out of the info log, or an "@every 30s" flow would fill it.
                let level: Logger.Level = report.pulled + report.bundles.count + report.held.count > 0 ? .info : .debug
                await health.succeeded("flow \(flow)")
                logger.log(level: level, "flow ran", metadata: [
                    "flow": .string(flow), "pulled": "\(report.pulled)", "quarantined": "\(report.quarantined)",
                    "bundles": "\(report.bundles.count)", "held": "\(report.held.count)",
                ])
            } catch let error as FerryError where error.code == .jobHeld {
                // Another worker of this node runs the flow now: nothing failed here.
                await health.succeeded("flow \(flow)")
                logger.debug("flow runs in another worker", metadata: ["flow": .string(flow), "reason": .string(error.message)])
            } catch {
                await health.failed("flow \(flow)", "\(error)")
                logger.error("flow failed", metadata: ["flow": .string(flow), "error": .string("\(error)")])
            }
        }
    }
}

/// Takes in what arrives in the node's inbound transfer areas, and resumes held, carousel
/// and unshipped bundles, every `interval`.
struct InboundWatcher: Service {
    let node: Node
    let worker: NodeWorker
    let interval: TimeInterval
    let health: HealthState
    let logger: Logger

    func run() async throws {
        await periodically(every: interval) {
            do {
                let (received, packed, status) = try await worker.run {
                    (try node.receive(), try node.pack(), try node.store.read { tx in try tx.queueStatus() })
                }
                NodeMetrics.record(status)
                await health.succeeded("exchange")
                if received.bundlesAccepted + received.bundlesRejected + received.receiptsAccepted + packed.shipped.count > 0 {
                    logger.info("exchange", metadata: [
                        "accepted": "\(received.bundlesAccepted)", "rejected": "\(received.bundlesRejected)",
                        "applied": "\(received.applied)", "receipts": "\(received.receiptsAccepted)", "shipped": "\(packed.shipped.count)",
                    ])
                }
                for warning in received.missing + packed.held + packed.refused { logger.warning("\(warning)") }
            } catch {
                await health.failed("exchange", "\(error)")
                logger.error("receive failed", metadata: ["error": .string("\(error)")])
            }
        }
    }
}
