import Foundation
import FerryCore
#if canImport(Glibc)
import Glibc
#endif

/// A program run to its end with its wall time and peak resident set, as the kernel
/// counts it for the child (`wait4`'s `ru_maxrss`, getrusage(2)): the figures a benchmark
/// quotes for one step.
struct MeasuredRun {
    var seconds: Double
    var peakMB: Double

    /// Runs `executable` with `arguments`, its output into `log`.
    /// - Throws: `FerryError(.benchmark)` when it cannot start or exits with a failure status.
    static func run(_ executable: URL, _ arguments: [String], log: URL) throws -> MeasuredRun {
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, log.path, O_WRONLY | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([executable.path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let started = Date()
        let spawned = posix_spawn(&pid, executable.path, &actions, nil, argv, environ)
        guard spawned == 0 else { throw FerryError(.benchmark, "cannot start \(executable.lastPathComponent): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let seconds = Date().timeIntervalSince(started)
        // Exited normally with status 0: WIFEXITED and WEXITSTATUS, spelled out.
        guard status & 0x7F == 0, (status >> 8) & 0xFF == 0 else {
            throw FerryError(.benchmark, "\(executable.lastPathComponent) \(arguments.first ?? "") failed (wait status \(status)); see \(log.path)")
        }
        return MeasuredRun(seconds: seconds, peakMB: Double(usage.ru_maxrss) / 1024)
    }
}
