import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A program started with `posix_spawn`, clean of what Ferry's own threads carry: every
/// signal unblocked and at its default action, in a process group of its own, with no
/// descriptor but its standard input, output and error.
///
/// A child inherits its spawner's signal mask and ignored signals. Swift concurrency and
/// Dispatch threads block nearly every signal, and a daemon ignores SIGTERM to handle it
/// itself, so a connector started with Foundation's `Process` could not be stopped, and
/// Python's multiprocessing pools (source-faker's among them) hung at exit waiting for
/// workers that never received their SIGTERM. A descriptor another thread had open
/// (a file being written) must not live on in the connector either: running a script
/// still held open for writing fails with "Text file busy".
final class ChildProcess: Sendable {
    let pid: pid_t
    private let exit: ExitState

    /// Runs `command` (found on PATH, or a path relative to `directory`) in `directory`,
    /// with the given descriptors as its standard input, output and error.
    /// - Throws: `SpawnError` when no process could be started.
    init(command: [String], directory: URL?, input: Int32, output: Int32, error: Int32) throws {
        guard let program = command.first, !program.isEmpty else { throw SpawnError(code: ENOENT) }
        var isDirectory: ObjCBool = false
        if let directory, !(FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) && isDirectory.boolValue) {
            throw SpawnError(code: ENOTDIR)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, error, 2)
        _ = Self.addCloseFrom.map { $0(&actions, 3) }
        let entered = directory.map { directory in Self.addChdir.map { $0(&actions, directory.path) == 0 } ?? false } ?? true
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in 1..<Int32(32) where signal != SIGKILL && signal != SIGSTOP { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        // Without posix_spawn_file_actions_addchdir_np (glibc before 2.29) a shell enters the
        // directory and then becomes the program: exit 125 means it could not be entered.
        var arguments = command
        if !entered, let directory { arguments = ["/bin/sh", "-c", #"cd -- "$1" || exit 125; shift; exec "$@""#, "sh", directory.path] + command }
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        var result = posix_spawnp(&child, arguments[0], &actions, &attributes, argv, environ)
        // "Text file busy": the program is being written (installed, or a descriptor to it
        // lives on in another program for a moment); it is tried again for half a second.
        for _ in 0..<10 where result == ETXTBSY {
            usleep(50_000)
            result = posix_spawnp(&child, arguments[0], &actions, &attributes, argv, environ)
        }
        guard result == 0 else { throw SpawnError(code: result) }
        pid = child
        exit = ExitState(pid: child)
    }

    // glibc's extensions, looked up at run time because Swift's Glibc module does not
    // declare them: closefrom since 2.34, chdir since 2.29.
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?) -> Int32
    private static let addCloseFrom = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map { unsafeBitCast($0, to: AddCloseFrom.self) }
    private static let addChdir = dlsym(nil, "posix_spawn_file_actions_addchdir_np").map { unsafeBitCast($0, to: AddChdir.self) }

    deinit {
        // Never leave a running connector or a zombie behind.
        Self.stop(exit)
    }

    /// The exit status (128 + the signal for a program a signal ended), nil while it runs.
    func exitStatus(waiting: Bool) -> Int32? { exit.status(waiting: waiting) }

    var isRunning: Bool { exit.status(waiting: false) == nil }

    /// Sends SIGTERM to the program's process group (it and the children it started); a
    /// thread of its own sends SIGKILL five seconds later to whatever is left, and reaps it.
    func terminate() { Self.stop(exit) }

    private static func stop(_ exit: ExitState) {
        guard exit.status(waiting: false) == nil else { return }
        kill(-exit.pid, SIGTERM)
        Thread.detachNewThread {
            for _ in 0..<50 where exit.status(waiting: false) == nil { usleep(100_000) }
            if exit.status(waiting: false) == nil { kill(-exit.pid, SIGKILL) }
            _ = exit.status(waiting: true)
        }
    }

    /// The program's exit, reaped once by whichever thread asks first.
    final class ExitState: @unchecked Sendable {
        // Sendable: `reaped` is only touched under `lock`; `pid` never changes.
        let pid: pid_t
        private let lock = NSLock()
        private var reaped: Int32?

        init(pid: pid_t) { self.pid = pid }

        func status(waiting: Bool) -> Int32? {
            lock.lock()
            defer { lock.unlock() }
            if let reaped { return reaped }
            var raw: Int32 = 0
            var result: pid_t
            repeat { result = waitpid(pid, &raw, waiting ? 0 : WNOHANG) } while result < 0 && errno == EINTR
            guard result == pid else { return result < 0 ? -1 : nil }
            let signal = raw & 0x7F
            reaped = signal == 0 ? (raw >> 8) & 0xFF : 128 + signal
            return reaped
        }
    }
}

/// Why `posix_spawn` failed, as errno.
struct SpawnError: Error {
    var code: Int32

    var reason: String {
        switch code {
        case ENOENT: return "not found"
        case EACCES: return "not executable"
        case ENOTDIR: return "its working directory, the topology's folder, does not exist"
        default: return String(cString: strerror(code))
        }
    }
}
