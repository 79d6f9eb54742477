import Foundation
import FerryCore

/// One run of a connector program (exec or Airbyte): its standard output read line by line,
/// the program stopped when it stays silent past the timeout; its standard error passed to
/// the log line by line, secrets hidden, with the last lines kept for the error if it fails.
final class ConnectorProcess: @unchecked Sendable {
    // Sendable: the standard-error thread touches only `tail`, the writer thread only the
    // input pipe; everything else stays on the caller's thread.
    let name: String
    private let process: ChildProcess
    private let output = Pipe()
    private let errors = Pipe()
    private let input: Pipe?
    private let timeout: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var searched = 0
    private var ended = false
    private let tail: ErrorTail

    /// A record line longer than this is refused rather than held in memory.
    static let lineLimit = 64 << 20

    /// A program that exits before reading all its input must not take Ferry down with
    /// SIGPIPE: the write fails instead, and the missing answers say what went wrong.
    private static let pipesSafe: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    /// Starts `command` followed by `arguments`, found on PATH (or a path relative to
    /// `workingDirectory`), in `workingDirectory`. Without `takesInput` its standard input
    /// is /dev/null. `name` is how messages call the program.
    /// - Throws: a configuration error when the program cannot be started.
    init(command: [String], arguments: [String] = [], name: String, workingDirectory: URL?, timeout: Int, takesInput: Bool, log: ConnectorLog) throws {
        Self.pipesSafe
        self.name = name
        self.timeout = timeout
        tail = ErrorTail(log: log)
        input = takesInput ? Pipe() : nil
        let nothing = FileHandle.nullDevice
        do {
            process = try ChildProcess(command: command + arguments, directory: workingDirectory,
                input: input?.fileHandleForReading.fileDescriptor ?? nothing.fileDescriptor,
                output: output.fileHandleForWriting.fileDescriptor, error: errors.fileHandleForWriting.fileDescriptor)
        } catch let error as SpawnError {
            throw Self.cannotRun(command.first ?? "", error.reason)
        }
        // The program holds its own ends now; ours must close, or its exit is never seen.
        try? output.fileHandleForWriting.close()
        try? errors.fileHandleForWriting.close()
        try? input?.fileHandleForReading.close()
        // The thread holds the tail, not the process object, so dropping a half-read
        // process still stops the program.
        let handle = errors.fileHandleForReading
        let keeper = tail
        Thread.detachNewThread {
            var pending: [UInt8] = []
            while true {
                let data = handle.availableData
                pending.append(contentsOf: data)
                while let newline = pending.firstIndex(of: 0x0A) {
                    keeper.keep(Array(pending[..<newline]))
                    pending.removeSubrange(...newline)
                }
                if data.isEmpty || pending.count > 1 << 16 {
                    if !pending.isEmpty { keeper.keep(pending) }
                    pending.removeAll()
                }
                if data.isEmpty { break }
            }
            keeper.done.signal()
        }
    }

    deinit {
        process.terminate()
    }

    /// The last lines the program wrote on standard error, secrets hidden.
    var errorTail: [String] { tail.lines }

    /// Standard error's lines: each logged, the last few kept for an error message.
    final class ErrorTail: @unchecked Sendable {
        // Sendable: `kept` is only touched under `lock`.
        let log: ConnectorLog
        let done = DispatchSemaphore(value: 0)
        private let lock = NSLock()
        private var kept: [String] = []

        init(log: ConnectorLog) { self.log = log }

        func keep(_ bytes: [UInt8]) {
            let line = log.redact(String(decoding: bytes, as: UTF8.self))
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return }
            log(.warning, line)
            lock.lock()
            kept.append(String(line.prefix(500)))
            if kept.count > 12 { kept.removeFirst() }
            lock.unlock()
        }

        var lines: [String] {
            lock.lock()
            defer { lock.unlock() }
            return kept
        }
    }

    /// Writes the lines on a thread of their own, so a program that answers while it reads
    /// never blocks on a full pipe; closes its input at the end.
    func send(_ lines: [[UInt8]]) {
        guard let handle = input?.fileHandleForWriting else { return }
        Thread.detachNewThread {
            for line in lines { try? handle.write(contentsOf: line + [0x0A]) }
            try? handle.close()
        }
    }

    static func cannotRun(_ program: String, _ reason: String) -> FerryError {
        FerryError.adapter(.configuration, "cannot run \(program): \(reason)",
            hint: "command: is the program, on PATH or a path from the topology's folder (e.g. a venv's bin/source-faker)")
    }

    /// Waits for the program to end once its output has ended, at most the timeout (then it
    /// is stopped), and returns its exit status; 125 to 127 become a configuration error.
    func exitStatus() throws -> Int32 {
        let deadline = Date().addingTimeInterval(TimeInterval(timeout))
        var status = process.exitStatus(waiting: false)
        while status == nil, Date() < deadline {
            usleep(20_000)
            status = process.exitStatus(waiting: false)
        }
        guard let status else {
            stop()
            throw FerryError.adapter(.retryable, "\(name) closed its output but did not exit within \(timeout) s and was stopped",
                hint: "raise timeout: in the system's options if it is just slow")
        }
        _ = tail.done.wait(timeout: .now() + 2)
        switch status {
        case 125: throw Self.cannotRun(name, "the topology's folder cannot be entered")
        case 126: throw Self.cannotRun(name, tail.lines.last ?? "not executable")
        case 127: throw Self.cannotRun(name, tail.lines.last ?? "not found")
        default: return status
        }
    }

    /// Stops the program and the children it started (SIGTERM, then SIGKILL).
    func stop() { process.terminate() }

    /// Reads what the program has written, waiting in short slices so that a program that
    /// has exited ends the output even when a child it left behind still holds the pipe
    /// open; stops the program when it stays silent past the timeout.
    private func fill() throws {
        let descriptor = output.fileHandleForReading.fileDescriptor
        let deadline = Date().addingTimeInterval(TimeInterval(timeout))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            var poll = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = Foundation.poll(&poll, 1, 200)
            if ready < 0, errno == EINTR { continue }
            if ready > 0 {
                let count = chunk.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR || errno == EAGAIN { continue }
                if count > 0 { buffer.append(contentsOf: chunk[..<count]) } else { ended = true }
                return
            }
            // Nothing waiting: once the program has exited and its last words are read, the
            // output has ended.
            if !process.isRunning {
                var last = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                if Foundation.poll(&last, 1, 0) > 0 { continue }
                ended = true
                return
            }
            if Date() >= deadline {
                stop()
                throw FerryError.adapter(.retryable, "\(name) said nothing for \(timeout) s and was stopped",
                    hint: "raise timeout: in the system's options if it is just slow")
            }
        }
    }

    /// The next line of output without its newline, nil when the output has ended; waits
    /// at most the timeout for it.
    func line() throws -> [UInt8]? {
        while true {
            // Bytes already searched are not searched again: a long line arrives in many reads.
            if let newline = buffer[max(start, searched)...].firstIndex(of: 0x0A) {
                let line = Array(buffer[start..<newline])
                start = newline + 1
                searched = start
                if start > 1 << 16 {
                    buffer.removeSubrange(0..<start)
                    start = 0
                    searched = 0
                }
                return line
            }
            searched = buffer.count
            if ended {
                guard start < buffer.count else { return nil }
                defer { start = buffer.count }
                return Array(buffer[start...])
            }
            guard buffer.count - start <= Self.lineLimit else {
                stop()
                throw FerryError.adapter(.permanent, "\(name) wrote a line longer than \(Self.lineLimit >> 20) MiB",
                    hint: "a record that large cannot be carried; check the connector's stream")
            }
            try fill()
        }
    }
}
