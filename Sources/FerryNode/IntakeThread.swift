import Foundation
import FerryCore

/// A node's intake running on a thread of its own while the caller applies what it stages:
/// the two halves of `Node.receive` overlap, so a receiving node keeps two cores busy
/// instead of one. Staging and applying already hand over through the store (a bundle's
/// records are staged in one transaction; applying reads what is committed), which is what
/// lets two workers of one node split them; this does the same inside one process.
///
/// Every way out of `receive` goes through `result()`, which joins the thread: intake never
/// runs on after the call returns, and what its body captured (the node, its store) is
/// released on that thread before the caller goes on, never later on a thread nobody waits
/// for.
final class IntakeThread<T: Sendable>: @unchecked Sendable {
    // @unchecked: `outcome`, `stopping` and `staged` change only while `condition` is locked;
    // `body` is set before the thread starts and then touched only by it; `thread` and
    // `joined` only by the caller.
    private let condition = NSCondition()
    private var outcome: Result<T, any Error>?
    private var stopping = false
    private var staged = 0
    private var body: (@Sendable (IntakeThread<T>) throws -> T)?
    private var thread: pthread_t?
    private var joined = false

    /// Starts `body` at once on a thread with an 8 MiB stack (opening a bundle parses nested
    /// values; a secondary thread's default may be smaller). `body` is given this object, to
    /// say when it staged something (`noteStaged()`) and to ask between bundles whether it
    /// should stop (`shouldStop`).
    /// - Throws: `FerryError(.io)` when the system cannot start a thread.
    static func start(_ body: @escaping @Sendable (IntakeThread<T>) throws -> T) throws -> IntakeThread<T> {
        let intake = IntakeThread(body)
        try intake.launch()
        return intake
    }

    private init(_ body: @escaping @Sendable (IntakeThread<T>) throws -> T) { self.body = body }

    private func launch() throws {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, 8 << 20)
        // The thread holds this object until its body has run. A C entry point cannot name
        // the generic type, so it gets a plain closure.
        let context = Unmanaged.passRetained(ThreadEntry { self.run() }).toOpaque()
        // Darwin's pthread_t is a non-null pointer and its entry point's argument is not
        // optional; glibc's pthread_t is an integer.
        #if canImport(Darwin)
        var started: pthread_t?
        let code = pthread_create(&started, &attributes, { context in
            Unmanaged<ThreadEntry>.fromOpaque(context).takeRetainedValue().run()
            return nil
        }, context)
        #else
        var started = pthread_t()
        let code = pthread_create(&started, &attributes, { context in
            Unmanaged<ThreadEntry>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, context)
        #endif
        guard code == 0 else {
            Unmanaged<ThreadEntry>.fromOpaque(context).release()
            throw FerryError(.io, "cannot start the intake thread: \(String(cString: strerror(code)))",
                hint: "the system is out of threads or memory; lower the number of workers or raise the process limits")
        }
        thread = started
    }

    deinit {
        // Only when `result()` was never called (it always is in `receive`): let it end alone.
        if let thread, !joined { pthread_detach(thread) }
    }

    private func run() {
        let result = Result { try body!(self) }
        // Drop the captures here, before the caller is told: the caller may then release
        // the node, and its last reference must not go on this thread at an unknown time.
        body = nil
        condition.withLock {
            outcome = result
            condition.broadcast()
        }
    }

    /// Whether intake has ended, with or without an error.
    var isFinished: Bool { condition.withLock { outcome != nil } }

    /// Whether the caller gave up (its own half failed): intake stops after its bundle.
    var shouldStop: Bool { condition.withLock { stopping } }

    /// Called by intake after each committed bundle: wakes a caller waiting for work.
    func noteStaged() {
        condition.withLock {
            staged += 1
            condition.broadcast()
        }
    }

    /// How many bundles intake has staged so far: read it before looking for work, and
    /// pass it to `waitForMore(than:seconds:)`, so a bundle staged in between is not missed.
    var stagedCount: Int { condition.withLock { staged } }

    /// Waits until intake has staged more than `seen` bundles, or has ended; at most `seconds`.
    func waitForMore(than seen: Int, seconds: TimeInterval) {
        condition.withLock {
            let deadline = Date().addingTimeInterval(seconds)
            while staged == seen, outcome == nil, condition.wait(until: deadline) {}
        }
    }

    /// Asks intake to stop after the bundle in hand.
    func stop() { condition.withLock { stopping = true } }

    /// Waits for the thread to end (joining it) and returns what intake returned, or throws
    /// what it threw. Only the thread that started intake calls this.
    func result() throws -> T {
        if let thread, !joined {
            pthread_join(thread, nil)
            joined = true
        }
        return try condition.withLock { outcome! }.get()
    }
}

/// What a new thread runs, passed through `pthread_create`'s context pointer.
private final class ThreadEntry {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}
