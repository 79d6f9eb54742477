import Foundation
public import FerryCore
import FerryQueue
import Logging

extension FerryError.Code {
    /// Another worker of the node holds the job; it runs there, once.
    public static let jobHeld: Self = "job.held"
}

/// The claims one worker process holds on its node's jobs (`WorkLeases`), renewed every
/// third of `leaseSeconds` while any is held, so that they run out only when the worker
/// is gone.
final class JobClaims: @unchecked Sendable {
    // @unchecked: `held` and `timer` change only under `lock`.
    /// Who this worker is in the claims table: host and process-id namespace, process id and
    /// a random tag.
    let worker: String
    let leaseSeconds: Int
    private let store: NodeStore
    private let logger: Logger
    private let lock = NSLock()
    private var held = 0
    private var timer: (any DispatchSourceTimer)?

    init(store: NodeStore, leaseSeconds: Int, logger: Logger) {
        self.store = store
        self.leaseSeconds = leaseSeconds
        self.logger = logger
        worker = "\(Self.processSpace):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(6).lowercased())"
    }

    deinit { timer?.cancel() }

    /// What asking for a job got.
    enum Outcome<T> {
        case ran(T)
        case busy(holder: String, until: String)
    }

    /// Runs `body` holding job `name`, then gives the job back; does not run it when
    /// another worker holds it.
    func run<T>(_ name: String, _ body: () throws -> T) throws -> Outcome<T> {
        let now = Date()
        let claim = try store.claim { leases in
            try leases.take(name, holder: worker, now: Timestamp.format(now), until: Timestamp.format(now.addingTimeInterval(Double(leaseSeconds))),
                gone: Self.hasEnded)
        }
        if case .held(let holder, let until) = claim { return .busy(holder: holder, until: until) }
        started()
        defer {
            stopped()
            do { try store.claim { try $0.release(name, holder: worker) } } catch {
                logger.warning("could not give a job back; it passes on when its claim runs out", metadata: ["job": .string(name), "reason": .string("\(error)")])
            }
        }
        return .ran(try body())
    }

    /// Whether `holder` names a process of this host that no longer runs: a worker killed
    /// here gives its jobs back at once, not after its claim runs out. A process id reused
    /// since only delays that until the claim runs out.
    static func hasEnded(_ holder: String) -> Bool {
        let parts = holder.split(separator: ":")
        guard parts.count == 3, String(parts[0]) == processSpace, let pid = Int32(parts[1]), pid > 0 else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    /// Where this process's id means something: the host name and the process-id namespace
    /// (containers may share a host name, never a namespace), e.g. `gw1/4026531836`.
    static let processSpace: String = {
        let namespace = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid"))?.filter(\.isNumber) ?? "0"
        return "\(ProcessInfo.processInfo.hostName.replacingOccurrences(of: ":", with: "_"))/\(namespace)"
    }()

    private func started() {
        lock.withLock {
            held += 1
            guard timer == nil else { return }
            let every = Double(leaseSeconds) / 3
            let source = DispatchSource.makeTimerSource(queue: .global())
            source.schedule(deadline: .now() + every, repeating: every)
            source.setEventHandler { [weak self] in self?.renew() }
            source.resume()
            timer = source
        }
    }

    private func stopped() {
        lock.withLock {
            held -= 1
            guard held == 0 else { return }
            timer?.cancel()
            timer = nil
        }
    }

    private func renew() {
        let until = Timestamp.format(Date().addingTimeInterval(Double(leaseSeconds)))
        do { try store.claim { try $0.renew(holder: worker, until: until) } } catch {
            logger.warning("could not renew this worker's job claims", metadata: ["reason": .string("\(error)")])
        }
    }
}

extension Node {
    /// Runs `body` as job `name`, or throws `FerryError(.jobHeld)` naming the worker that
    /// holds it: for jobs a caller asked for by name (a flow's sync).
    func claimed<T>(_ name: String, what: String, _ body: () throws -> T) throws -> T {
        switch try claims.run(name, body) {
        case .ran(let result):
            return result
        case .busy(let holder, let until):
            throw FerryError(.jobHeld, "\(what) is running in another worker of node \(self.name) (\(holder), claim until \(until))",
                hint: "it runs there, once; a worker killed on this host gives it up at once, one on another host when its claim runs out (lease_seconds)")
        }
    }

    /// Runs `body` as job `name` if no other worker holds it; nil when one does. For jobs
    /// every worker tries in turn (intake, applying, packing): the one holding it does them.
    func ifClaimed<T>(_ name: String, _ body: () throws -> T) throws -> T? {
        if case .ran(let result) = try claims.run(name, body) { return result }
        return nil
    }
}
