public import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file a command writes at a path a user names (`--out`, `--rejects`, exports).
///
/// A regular file, or a path with nothing there yet, is written to a hidden temporary
/// file in the same folder and renamed over the path by `commit()`: readers never see half
/// a file, and a failed run leaves the old one untouched. Anything else is written in
/// place and never replaced: a named pipe, a character device such as `/dev/null`, a
/// terminal, and `/dev/stdout`, `/dev/stderr`, `/dev/fd/N`, `/proc/self/fd/N`, which
/// write to the command's own descriptor (so `--out /dev/stdout > file` and `| next` both
/// work). A symbolic link to a regular file keeps the link: its target is replaced.
///
/// With `holdUntilCommit`, in-place output is held in an unnamed, owner-only file until
/// `commit()`, so a pipe sees nothing of a run that fails (as a regular file would not).
/// Not thread-safe: one writer at a time.
public final class OutputFile {
    /// The path as the user gave it, for messages.
    public let path: String
    /// The descriptor to write to: the temporary file, the held copy, or the special file.
    public let handle: FileHandle
    /// True when the path is written in place (pipe, device, standard stream).
    public let inPlace: Bool
    private let temporary: URL?
    private let destination: URL?
    private let special: FileHandle?
    private var finished = false

    /// Opens `url` for writing as described above. A new regular file gets `permissions`
    /// (less the umask), e.g. `0o600` for output holding personal data.
    /// - Throws: `FerryError(.io)` when the folder is missing or not writable, the path is
    ///   a directory or a socket, or the special file cannot be opened.
    public init(_ url: URL, permissions: mode_t = 0o644, holdUntilCommit: Bool = false) throws {
        path = url.path
        switch try Self.plan(url) {
        case .replace(let target):
            let temporary = target.deletingLastPathComponent()
                .appendingPathComponent(".\(target.lastPathComponent).\(String(UInt64.random(in: 0...UInt64.max), radix: 16)).part")
            let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, permissions)
            guard fd >= 0 else { throw Self.failure("cannot create a file beside \(target.path)", errno, hint: "check that the folder exists and is writable") }
            handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
            (self.temporary, destination, special, inPlace) = (temporary, target, nil, false)
        case .inPlace(let fd):
            let target = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
            if holdUntilCommit {
                handle = try Self.unnamedFile()
                special = target
            } else {
                handle = target
                special = nil
            }
            (temporary, destination, inPlace) = (nil, nil, true)
        }
    }

    deinit { if !finished { discard() } }

    /// Writes all of `bytes`.
    /// - Throws: `FerryError(.io)`, with a hint when the disk is full.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try Self.writeAll($0, to: handle.fileDescriptor, path: path) }
    }

    /// Finishes the output: a regular file is flushed to disk and renamed over the path (and
    /// the folder flushed); held output is copied to the special file; descriptors close.
    public func commit() throws {
        guard !finished else { return }
        finished = true
        if let temporary, let destination {
            var renamed = false
            defer { if !renamed { unlink(temporary.path) } }
            guard fsync(handle.fileDescriptor) == 0 || errno == EINVAL else { throw Self.failure("cannot flush \(path)", errno) }
            try handle.close()
            guard rename(temporary.path, destination.path) == 0 else { throw Self.failure("cannot replace \(destination.path)", errno) }
            renamed = true
            Self.syncFolder(destination.deletingLastPathComponent())
        } else if let special {
            try copyHeld(to: special)
            try special.close()
            try handle.close()
        } else {
            try handle.close()
        }
    }

    /// Abandons the output: the temporary file is removed and nothing is renamed, so an
    /// existing file at the path keeps its old content; held output is dropped.
    public func discard() {
        guard !finished else { return }
        finished = true
        try? handle.close()
        try? special?.close()
        if let temporary { unlink(temporary.path) }
    }

    private func copyHeld(to target: FileHandle) throws {
        guard lseek(handle.fileDescriptor, 0, SEEK_SET) == 0 else { throw Self.failure("cannot reread held output for \(path)", errno) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw Self.failure("cannot reread held output for \(path)", errno) }
            if count == 0 { return }
            try buffer.withUnsafeBytes { try Self.writeAll(UnsafeRawBufferPointer(rebasing: $0[0..<count]), to: target.fileDescriptor, path: path) }
        }
    }
}

extension OutputFile {
    enum Plan {
        case replace(URL)
        case inPlace(Int32)
    }

    /// Decides how `url` is written; for in-place output, opens it.
    static func plan(_ url: URL) throws -> Plan {
        let path = url.standardizedFileURL.path
        if let descriptor = standardDescriptor(path) {
            let fd = fcntl(descriptor, F_DUPFD_CLOEXEC, 0)
            guard fd >= 0 else { throw failure("\(path) is not open in this process", errno) }
            return .inPlace(fd)
        }
        var info = stat()
        guard lstat(path, &info) == 0 else {
            guard errno == ENOENT else { throw failure("cannot examine \(path)", errno) }
            return .replace(URL(fileURLWithPath: path))
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            return .replace(URL(fileURLWithPath: path))
        case S_IFDIR:
            throw FerryError(.io, "\(path) is a folder", hint: "give a file name")
        case S_IFLNK:
            var target = stat()
            let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            if stat(path, &target) == 0, target.st_mode & S_IFMT == S_IFREG, lstat(resolved, &target) == 0, target.st_mode & S_IFMT == S_IFREG {
                return .replace(URL(fileURLWithPath: resolved))
            }
            return .inPlace(try openInPlace(path))
        default:
            return .inPlace(try openInPlace(path))
        }
    }

    /// The descriptor behind `/dev/stdout`, `/dev/stderr`, `/dev/fd/N` and `/proc/self/fd/N`:
    /// reopening those paths fails for sockets and loses the shell's offset and append mode.
    static func standardDescriptor(_ path: String) -> Int32? {
        switch path {
        case "/dev/stdout": return STDOUT_FILENO
        case "/dev/stderr": return STDERR_FILENO
        default:
            for prefix in ["/dev/fd/", "/proc/self/fd/"] where path.hasPrefix(prefix) {
                return Int32(path.dropFirst(prefix.count))
            }
            return nil
        }
    }

    /// Opens a pipe or device for writing without creating or truncating anything; blocks
    /// until a named pipe has a reader, as `cat > fifo` does.
    static func openInPlace(_ path: String) throws -> Int32 {
        while true {
            let fd = open(path, O_WRONLY | O_CLOEXEC)
            if fd >= 0 { return fd }
            if errno == EINTR { continue }
            let code = errno
            throw failure("cannot open \(path) for writing", code,
                hint: code == ENXIO ? "a socket or a device without a driver cannot be written to; give a file, pipe or device" : "check the path and its permissions")
        }
    }

    /// An owner-only file with no name, gone when closed: where held output waits.
    static func unnamedFile() throws -> FileHandle {
        let folder = NSTemporaryDirectory()
        let name = (folder as NSString).appendingPathComponent(".ferry-held-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))")
        let fd = open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure("cannot create a private file in \(folder)", errno, hint: "check TMPDIR and its free space") }
        unlink(name)
        return FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }

    static func writeAll(_ bytes: UnsafeRawBufferPointer, to fd: Int32, path: String) throws {
        var offset = 0
        while offset < bytes.count, let base = bytes.baseAddress {
            let written = Glibc.write(fd, base + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                let code = errno
                throw failure("cannot write \(path)", code, hint: code == ENOSPC ? "the disk is full; free space and retry" : "check the disk and permissions")
            }
            offset += written
        }
    }

    /// Best effort: the rename is durable once the folder is flushed.
    static func syncFolder(_ folder: URL) {
        let fd = open(folder.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    static func failure(_ message: String, _ code: Int32, hint: String? = nil) -> FerryError {
        FerryError(.io, "\(message): \(String(cString: strerror(code)))", hint: hint)
    }
}
