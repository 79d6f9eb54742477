public import Foundation

/// A program run to its end as a user runs it, for tests that assert on what it printed.
public enum ProcessRun {
    /// Runs `executable` with `arguments` (in `directory`, if given), with no input, and
    /// returns its exit status and what it wrote to standard output and error together.
    public static func capture(_ executable: URL, _ arguments: [String], in directory: URL? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let pipe = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
