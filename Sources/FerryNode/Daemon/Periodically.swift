import Foundation
import ServiceLifecycle

/// Runs `body` now, then every `interval` seconds, until the service group shuts down
/// gracefully; the wait is cut short by shutdown. The loop of every watcher of `ferry run`.
func periodically(every interval: TimeInterval, _ body: () async -> Void) async {
    while !Task.isShuttingDownGracefully {
        await body()
        do {
            try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(interval)) }
        } catch {
            return
        }
    }
}
