public import Foundation
public import FerryCore
#if canImport(Glibc)
import Glibc
#endif

extension FerryError.Code {
    public static let transport: Self = "transport"
}

/// A transfer directory: the file-exchange area of a network gap, or removable media.
///
/// Writers never expose a partial file: they write `NAME.part`, fsync it, rename it to
/// `NAME` and fsync the directory, so a reader (or the gap's ferrying process) only ever
/// sees complete bundles, even across a power cut.
public struct DirectoryDrop: Sendable {
    public let directory: URL
    public static let suffix = ".bundle"

    public init(directory: URL) {
        self.directory = directory
    }

    /// Copies `file` into the directory atomically and durably; returns the dropped file.
    @discardableResult
    public func ship(_ file: URL) throws -> URL {
        let manager = FileManager.default
        try createDirectory(directory)
        let name = file.lastPathComponent
        let final = directory.appendingPathComponent(name)
        if manager.fileExists(atPath: final.path) { return final }
        let part = directory.appendingPathComponent(name + ".part")
        try? manager.removeItem(at: part)
        do {
            try manager.copyItem(at: file, to: part)
            try Self.fsync(part)
            try manager.moveItem(at: part, to: final)
            try Self.fsync(directory)
        } catch let error as FerryError {
            try? manager.removeItem(at: part)
            throw error
        } catch {
            try? manager.removeItem(at: part)
            throw FerryError(.transport, "cannot drop \(name) into \(directory.path): \(error.localizedDescription)",
                hint: "check that the transfer directory exists, is writable and has free space")
        }
        return final
    }

    /// Complete bundles waiting in the directory, oldest name first. `.part` files and
    /// anything that is not a bundle are left alone.
    public func pending() throws -> [URL] {
        guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        return names.filter { $0.hasSuffix(Self.suffix) && !$0.hasPrefix(".") }.sorted()
            .map { directory.appendingPathComponent($0) }
    }

    /// Moves a processed bundle to `archive/`.
    public func archive(_ file: URL) throws {
        try move(file, into: "archive")
    }

    /// Moves a rejected bundle to `quarantine/` with a reason file beside it.
    public func quarantine(_ file: URL, reason: String) throws {
        let destination = try move(file, into: "quarantine")
        let note = destination.appendingPathExtension("reason.txt")
        try Data((reason + "\n").utf8).write(to: note)
    }

    @discardableResult
    private func move(_ file: URL, into folder: String) throws -> URL {
        let target = directory.appendingPathComponent(folder)
        try createDirectory(target)
        var destination = target.appendingPathComponent(file.lastPathComponent)
        if FileManager.default.fileExists(atPath: destination.path) {
            destination = target.appendingPathComponent("\(file.lastPathComponent).\(Int(Date().timeIntervalSince1970 * 1000))")
        }
        try FileManager.default.moveItem(at: file, to: destination)
        try Self.fsync(target)
        return destination
    }

    private func createDirectory(_ url: URL) throws {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw FerryError(.transport, "cannot create \(url.path)", hint: "check permissions on the transfer area")
        }
    }

    /// Flushes a file or directory to stable storage.
    static func fsync(_ url: URL) throws {
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else { throw FerryError(.transport, "cannot open \(url.path) to sync it") }
        defer { close(fd) }
        guard Glibc.fsync(fd) == 0 else {
            throw FerryError(.transport, "fsync of \(url.path) failed (errno \(errno))", hint: "the disk may be full or failing")
        }
    }
}
