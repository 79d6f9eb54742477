import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension FileHandle {
    /// Writes all of `bytes` with write(2). Foundation's generic `write(contentsOf:)` took
    /// over three times as long as AES-GCM and SHA-256 together on [UInt8] chunks.
    package func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                let code = errno
                throw FerryError(.io, "write failed: \(String(cString: strerror(code)))",
                    hint: code == ENOSPC ? "the disk is full; free space and retry" : "check the disk and permissions")
            }
            offset += written
        }
    }

    package func writeAll(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try writeAll($0) }
    }
}
