import Foundation
import FerryCore

/// The programs benchmarks measure Ferry beside (`sqlite3`, `psql`, `jq`): found on the
/// PATH and run to completion.
enum PeerTool {
    /// The program `name` on the PATH, or nil when it is not installed.
    static func locate(_ name: String) -> URL? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return paths.map { URL(fileURLWithPath: String($0)).appendingPathComponent(name) }.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// Runs `tool` to its end, standard output into `output` (discarded without one).
    /// - Throws: `FerryError(.benchmark)` when it exits with a failure status.
    static func run(_ tool: URL, _ arguments: [String], environment: [String: String] = [:], output: URL? = nil) throws {
        let process = Process()
        process.executableURL = tool
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        if let output {
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: output)
        } else {
            process.standardOutput = FileHandle.nullDevice
        }
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FerryError(.benchmark, "\(tool.lastPathComponent) \(arguments.first ?? "") failed with status \(process.terminationStatus)")
        }
    }

    /// Runs `tool` to its end and returns what it printed.
    static func capture(_ tool: URL, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = tool
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
