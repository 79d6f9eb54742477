import Foundation
import FerryCore
#if canImport(Glibc)
import Glibc
#endif

/// A program run to its end with its wall time and peak resident set: the figures a
/// benchmark quotes for one step.
///
/// The peak is the child's `VmHWM` (proc(5)), sampled every 20 ms while it runs; the high
/// water mark only grows, so the last sample is the peak up to 20 ms before the end.
/// `wait4`'s `ru_maxrss` would be simpler but is wrong here: Linux carries the high water
/// mark of the memory a process had before exec into it, and a spawned child starts out
/// sharing its parent's (a test runner's hundreds of MB).
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
        var peak = 0.0
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { break }
            if reaped < 0 && errno != EINTR { throw FerryError(.benchmark, "lost track of \(executable.lastPathComponent) (errno \(errno))") }
            peak = max(peak, highWaterMB(pid))
            usleep(20_000)
        }
        let seconds = Date().timeIntervalSince(started)
        // Exited normally with status 0: WIFEXITED and WEXITSTATUS, spelled out.
        guard status & 0x7F == 0, (status >> 8) & 0xFF == 0 else {
            throw FerryError(.benchmark, "\(executable.lastPathComponent) \(arguments.first ?? "") failed (wait status \(status)); see \(log.path)")
        }
        return MeasuredRun(seconds: seconds, peakMB: peak)
    }

    /// The process's `VmHWM` in MB; 0 when it cannot be read (it has just ended).
    static func highWaterMB(_ pid: pid_t) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return 0 }
        return kilobytes / 1024
    }
}
