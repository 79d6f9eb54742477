import Foundation
import FerryCore

/// A directory only this user can enter (0700), holding files only this user can read
/// (0600), removed with everything in it when the object goes. A connector's config is
/// written here because it may hold passwords and tokens.
final class PrivateDirectory: @unchecked Sendable {
    // Sendable: created, written and removed by one thread; the path never changes.
    let url: URL

    init() throws {
        var template = Array((FileManager.default.temporaryDirectory.path + "/ferry-connector-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw FerryError.adapter(.retryable, "cannot create a private temporary directory (errno \(errno))",
                hint: "check that TMPDIR exists and has room")
        }
        url = URL(fileURLWithPath: String(cString: made), isDirectory: true)
    }

    deinit { remove() }

    /// Removes the directory and its files; nothing when already gone.
    func remove() { try? FileManager.default.removeItem(at: url) }

    /// Writes `bytes` to a new file `name` created 0600 (never following an existing link);
    /// returns its path.
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = url.appendingPathComponent(name).path
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw FerryError.adapter(.retryable, "cannot create \(name) in a private temporary directory (errno \(errno))")
        }
        defer { close(descriptor) }
        var written = 0
        while written < bytes.count {
            let result = bytes[written...].withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
            if result < 0, errno == EINTR { continue }
            guard result > 0 else {
                throw FerryError.adapter(.retryable, "cannot write \(name) in a private temporary directory (errno \(errno))",
                    hint: "check that TMPDIR has room")
            }
            written += result
        }
        return path
    }
}
