public import Foundation
public import FerryCore

/// The node's `receive_hook:` (docs/documents.md, "Receive hook"): a program run on every
/// document that arrives whole, before any record naming it is applied, as a virus or
/// content scan. It gets the document's file as its last argument; exit status 0 accepts
/// the document, anything else (a signal, the timeout included) rejects it.
public struct ReceiveHook: Sendable {
    /// The program and its first arguments, found on PATH or by path.
    public var command: [String]
    public var timeoutSeconds: Int

    public init(command: [String], timeoutSeconds: Int = 300) {
        (self.command, self.timeoutSeconds) = (command, timeoutSeconds)
    }

    /// What the hook made of a document.
    public enum Verdict: Sendable, Equatable {
        case accepted
        /// It exited non-zero or was killed by a signal: its exit status and the last of
        /// what it printed (masked: a scanner may quote the content).
        case refused(String)
        /// It could not be started, or did not finish in time: nothing was decided.
        case unavailable(String)
    }

    /// Runs the hook on `file`.
    public func verdict(for file: URL) -> Verdict {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-hook-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: output.path, contents: nil, attributes: [.posixPermissions: 0o600]),
            let handle = FileHandle(forWritingAtPath: output.path)
        else { return .unavailable("receive_hook could not be run: no temporary file for its output") }
        defer {
            try? handle.close()
            try? FileManager.default.removeItem(at: output)
        }
        let process: ChildProcess
        do {
            process = try ChildProcess(command: command + [file.path], directory: nil, input: FileHandle.nullDevice.fileDescriptor,
                output: handle.fileDescriptor, error: handle.fileDescriptor)
        } catch let error as SpawnError {
            return .unavailable("receive_hook \(OutsideText.describe(command.first ?? "")) could not be started: \(error.reason)")
        } catch {
            return .unavailable("receive_hook could not be started: \(error)")
        }
        let deadline = Date().addingTimeInterval(TimeInterval(timeoutSeconds))
        var status = process.exitStatus(waiting: false)
        while status == nil, Date() < deadline {
            usleep(20_000)
            status = process.exitStatus(waiting: false)
        }
        guard let status else {
            process.terminate()
            return .unavailable("receive_hook did not finish within \(timeoutSeconds) s and was stopped")
        }
        guard status != 0 else { return .accepted }
        let said = Self.lastWords(of: output)
        return .refused("receive_hook exited with status \(status)" + (said.isEmpty ? "" : ": \(said)"))
    }

    /// The last line the hook printed, at most 300 characters, masked.
    static func lastWords(of file: URL) -> String {
        guard let data = try? Data(contentsOf: file) else { return "" }
        let text = String(decoding: data.suffix(4096), as: UTF8.self)
        let line = text.split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
        return FreeTextRedactor(limit: 300)(line.trimmingCharacters(in: .whitespaces))
    }
}
