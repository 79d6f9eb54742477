import Foundation
import FerryCore

/// One worker of a node running as its own `ferry run` process, its log in the benchmark
/// directory.
final class NodeProcess: @unchecked Sendable {
    // @unchecked: `process` is only started in init and stopped once; Process is thread-safe
    // for the calls made here (isRunning, terminate, waitUntilExit).
    let node: String
    let log: URL
    private let process = Process()

    init(_ options: EndToEndBenchmark.Options, node: String, worker: Int = 1) throws {
        self.node = node
        log = options.directory.appendingPathComponent(worker == 1 ? "\(node).log" : "\(node)-\(worker).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let output = try FileHandle(forWritingTo: log)
        process.executableURL = options.executable
        process.arguments = [
            "run", "--config", options.directory.appendingPathComponent("ferry.yaml").path, "--node", node, "--listen", "off",
            "--poll", String(options.poll),
        ]
        process.standardOutput = output
        process.standardError = output
        try process.run()
    }

    var isRunning: Bool { process.isRunning }

    /// The process's peak resident set (VmHWM), in MB; 0 once it has exited.
    func peakMB() -> Double { MeasuredRun.highWaterMB(process.processIdentifier) }

    /// Asks the node to stop (SIGTERM: it finishes the step it is in) and waits for it.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}
