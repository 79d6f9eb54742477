import Foundation
import FerryCore
import FerryQueue
import Metrics

/// What a node reports to swift-metrics (and, under `ferry run`, to Prometheus). Without a
/// bootstrapped metrics system these are no-ops, so the CLI pays nothing for them.
enum NodeMetrics {
    static func records(_ stage: String, flow: String, _ count: Int) {
        guard count > 0 else { return }
        Counter(label: "ferry_records_total", dimensions: [("stage", stage), ("flow", flow)]).increment(by: count)
    }

    static func bundles(_ direction: String, lane: String, _ count: Int) {
        guard count > 0 else { return }
        Counter(label: "ferry_bundles_total", dimensions: [("direction", direction), ("lane", lane)]).increment(by: count)
    }

    static func rejected(_ code: String) {
        Counter(label: "ferry_bundle_rejects_total", dimensions: [("reason", code)]).increment()
    }

    /// The outcome of one audit-chain verification: `ferry_audit_chain_ok` 1 or 0, the
    /// entries verified, and (on success) when, in Unix seconds.
    static func audit(ok: Bool, entries: Int?, now: Date = Date()) {
        Gauge(label: "ferry_audit_chain_ok").record(ok ? 1 : 0)
        if let entries { Gauge(label: "ferry_audit_entries").record(entries) }
        if ok { Gauge(label: "ferry_audit_verified_timestamp_seconds").record(now.timeIntervalSince1970) }
    }

    /// A verification that could not run to a verdict (the store was busy or unreachable).
    static func auditVerifyFailed() {
        Counter(label: "ferry_audit_verify_errors_total").increment()
    }

    /// Queue depths and ages, from one status snapshot.
    static func record(_ status: QueueStatus, now: Date = Date()) {
        for lane in status.outbound {
            Gauge(label: "ferry_queue_pending_records", dimensions: [("lane", lane.lane)]).record(lane.pending)
            Gauge(label: "ferry_queue_undelivered_bundles", dimensions: [("lane", lane.lane)]).record(lane.undelivered)
            let age = lane.oldestUndelivered.flatMap(Timestamp.parse).map { now.timeIntervalSince($0) } ?? 0
            Gauge(label: "ferry_oldest_undelivered_seconds", dimensions: [("lane", lane.lane)]).record(age)
        }
        for lane in status.inbound {
            Gauge(label: "ferry_missing_sequences", dimensions: [("lane", lane.lane)]).record(lane.missing.count)
        }
        Gauge(label: "ferry_inbox_pending_records").record(status.inboxPending)
        Gauge(label: "ferry_dead_letters").record(status.deadLetters)
        Gauge(label: "ferry_quarantined_records").record(status.quarantined)
    }
}
