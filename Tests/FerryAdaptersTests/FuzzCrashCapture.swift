import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps the fuzz input under test where a signal handler can write it out, so that a crash
/// leaves its input behind: a Swift trap (overflow, force unwrap, index out of range) is
/// SIGILL or SIGTRAP, a stack overflow SIGSEGV, and an input that runs past `timeout`
/// seconds gets SIGALRM. The handler only calls async-signal-safe functions (open, write,
/// close, signal, raise) on memory allocated beforehand.
enum FuzzCrashCapture {
    static let capacity = 64 << 20
    nonisolated(unsafe) static var buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    nonisolated(unsafe) static var count = 0
    /// `<folder>/crash-<reader>.bin` and `<folder>/hang-<reader>.bin`, as C strings.
    nonisolated(unsafe) static var crashPath = UnsafeMutablePointer<CChar>.allocate(capacity: 4096)
    nonisolated(unsafe) static var hangPath = UnsafeMutablePointer<CChar>.allocate(capacity: 4096)
    static let timeout: UInt32 = 30

    /// Installs the handlers on the calling thread (the alternate stack is per thread, and
    /// a stack overflow needs one to run a handler at all).
    static func install() {
        _ = (buffer, count, crashPath, hangPath)  // initialise the statics before any signal
        #if os(Linux)
        let size = 1 << 16
        var stack = stack_t()
        stack.ss_sp = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        stack.ss_size = size
        stack.ss_flags = 0
        sigaltstack(&stack, nil)
        let handler: @convention(c) (Int32) -> Void = { number in
            let path = number == SIGALRM ? FuzzCrashCapture.hangPath : FuzzCrashCapture.crashPath
            let file = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            if file >= 0 {
                _ = write(file, FuzzCrashCapture.buffer, FuzzCrashCapture.count)
                close(file)
            }
            let note = "\nfuzz: the input under test is in crash-<reader>.bin (hang-<reader>.bin if it ran too long)\n"
            _ = note.withCString { write(2, $0, strlen($0)) }
            let end = number == SIGALRM ? SIGABRT : number
            signal(end, SIG_DFL)
            raise(end)
        }
        for number in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGALRM] {
            var action = sigaction()
            action.__sigaction_handler = unsafeBitCast(handler, to: sigaction.__Unnamed_union___sigaction_handler.self)
            action.sa_flags = Int32(SA_ONSTACK)
            sigaction(number, &action, nil)
        }
        #endif
    }

    /// Names the files a crash or hang of `reader` writes, under `folder`.
    static func prepare(folder: URL, reader: String) {
        for (path, kind) in [(crashPath, "crash"), (hangPath, "hang")] {
            let text = folder.appendingPathComponent("\(kind)-\(reader).bin").path
            _ = text.withCString { strncpy(path, $0, 4095) }
            path[4095] = 0
        }
    }

    /// Keeps `input` for the handler and restarts the hang timer; call before each input.
    static func hold(_ input: [UInt8]) {
        count = min(input.count, capacity)
        input.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { buffer.update(from: base, count: count) }
        }
        alarm(timeout)
    }

    static func release() { alarm(0) }
}
