import Foundation

/// Runs a node's blocking jobs (sync, receive, pack) one at a time on a thread of their
/// own, so the async services never block the cooperative pool and never overlap writes.
actor NodeWorker {
    private let queue = DispatchQueue(label: "ferry.node-worker")

    /// Runs `job` to completion. Not cancellable once started: a batch in flight always
    /// finishes, which is what graceful shutdown promises.
    func run<T: Sendable>(_ job: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try job() })
            }
        }
    }
}

/// The last outcome of each of a node's loops, for `/healthz`.
actor HealthState {
    private var failures: [String: String] = [:]

    func succeeded(_ part: String) { failures[part] = nil }
    func failed(_ part: String, _ reason: String) { failures[part] = reason }

    /// The failing checks by name only: the reasons stay in the log (see ConsoleServer.Health).
    func summary() -> (healthy: Bool, failing: [String]) { (failures.isEmpty, failures.keys.sorted()) }
}
