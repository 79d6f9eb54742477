public import Foundation
public import FerryCore
#if canImport(Glibc)
import Glibc
#endif

extension FerryError.Code {
    public static let transport: Self = "transport"
    /// The transfer area is missing, unwritable or full: hold, report, retry later.
    public static let transportUnavailable: Self = "transport.unavailable"
    public static let transportFull: Self = "transport.full"
}

/// A transfer directory: the file-exchange area of a network gap, or removable media.
///
/// Writers never expose a partial file: they write `NAME.TAG.part` (a tag of their own, so
/// two workers dropping one bundle never write one file), fsync it, rename it to `NAME` and
/// fsync the directory, so a reader (or the gap's ferrying process) only ever sees complete
/// bundles, even across a power cut.
public struct DirectoryDrop: Sendable {
    public let directory: URL
    /// Capacity of the transfer area, in bundles not yet taken and in their bytes.
    public var maxFiles: Int?
    public var maxBytes: Int64?
    public static let suffix = OutsideText.bundleSuffix

    public init(directory: URL, maxFiles: Int? = nil, maxBytes: Int64? = nil) {
        self.directory = directory
        self.maxFiles = maxFiles
        self.maxBytes = maxBytes
    }

    /// Copies `file` into the directory atomically and durably; returns the dropped file.
    ///
    /// A missing transfer area is not created: it is usually a mount (the gap's exchange
    /// area, removable media), and writing under an absent mount point would put bundles
    /// on the wrong disk. The caller holds the bundle and tries again later.
    @discardableResult
    public func ship(_ file: URL) throws -> URL {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw FerryError(.transportUnavailable, "transfer area \(directory.path) is missing",
                hint: "mount or create it; bundles wait in the node's outgoing folder and are sent when it is back")
        }
        let name = file.lastPathComponent
        let final = directory.appendingPathComponent(name)
        if manager.fileExists(atPath: final.path) { return final }
        // A manifest rides with its bundle: only bundles count against the area's capacity.
        if !name.hasSuffix(Self.manifestSuffix) { try checkCapacity(adding: file) }
        let tag = (0..<8).map { _ in String(UInt8.random(in: 0...15), radix: 16) }.joined()
        let part = directory.appendingPathComponent("\(name).\(tag).part")
        do {
            try manager.copyItem(at: file, to: part)
            try Self.fsync(part)
            // rename(2), not moveItem: it replaces a copy another worker dropped meanwhile
            // (the same sealed file) instead of failing on it.
            guard rename(part.path, final.path) == 0 else {
                throw FerryError(.transportUnavailable, "cannot drop \(name) into \(directory.path): \(String(cString: strerror(errno)))",
                    hint: "check that the transfer area is writable and has free space; the bundle is held and retried")
            }
            try Self.fsync(directory)
        } catch let error as FerryError {
            try? manager.removeItem(at: part)
            throw error
        } catch {
            try? manager.removeItem(at: part)
            throw FerryError(.transportUnavailable, "cannot drop \(name) into \(directory.path): \(error.localizedDescription)",
                hint: "check that the transfer area is writable and has free space; the bundle is held and retried")
        }
        return final
    }

    /// Refuses a drop that would take the area past its configured capacity.
    func checkCapacity(adding file: URL) throws {
        guard maxFiles != nil || maxBytes != nil else { return }
        let waiting = try pending()
        let size = { (url: URL) -> Int64 in
            ((try? FileManager.default.attributesOfItem(atPath: url.path)[.size]) as? NSNumber)?.int64Value ?? 0
        }
        if let maxFiles, waiting.count + 1 > maxFiles {
            throw FerryError(.transportFull, "transfer area \(directory.path) holds \(waiting.count) bundles (limit \(maxFiles))",
                hint: "the far side has not taken them yet; bundles are held here until it does")
        }
        if let maxBytes {
            let used = waiting.reduce(Int64(0)) { $0 + size($1) }
            if used + size(file) > maxBytes {
                throw FerryError(.transportFull, "transfer area \(directory.path) would exceed \(maxBytes) bytes (\(used) in use)",
                    hint: "the far side has not taken them yet; bundles are held here until it does")
            }
        }
    }

    /// Complete bundles waiting in the directory, by name. Only names as Ferry writes them
    /// count (`OutsideText.isBundleFileName`: 64 lowercase hex digits and `.bundle`);
    /// `.part` files, hidden files and anything else are left alone here (see `strays()`).
    public func pending() throws -> [URL] {
        try names().filter(OutsideText.isBundleFileName).sorted().map { directory.appendingPathComponent($0) }
    }

    /// Files that claim to be bundles (`….bundle`, not hidden) under a name Ferry never
    /// writes. Their names are chosen by whoever put them there: show them only through
    /// `OutsideText.describe`, never raw.
    public func strays() throws -> [URL] {
        try names().filter { $0.hasSuffix(Self.suffix) && !$0.hasPrefix(".") && !OutsideText.isBundleFileName($0) }.sorted()
            .map { directory.appendingPathComponent($0) }
            .filter { url in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && !isDirectory.boolValue
            }
    }

    private func names() throws -> [String] {
        guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: directory.path)
    }

    /// The suffix of the plain manifest a sender may drop beside a bundle
    /// (`NAME.manifest.json` for `NAME.bundle`).
    public static let manifestSuffix = ".manifest.json"

    /// Moves a processed bundle to `archive/`, with its manifest if one lies beside it.
    public func archive(_ file: URL) throws {
        try move(file, into: "archive")
        try moveManifest(of: file, into: "archive")
    }

    /// Moves a rejected bundle to `quarantine/` with a reason file beside it.
    public func quarantine(_ file: URL, reason: String) throws {
        try moveManifest(of: file, into: "quarantine")
        let destination = try move(file, into: "quarantine")
        let note = destination.appendingPathExtension("reason.txt")
        try Data((reason + "\n").utf8).write(to: note)
    }

    private func moveManifest(of file: URL, into folder: String) throws {
        guard file.lastPathComponent.hasSuffix(Self.suffix) else { return }
        let manifest = directory.appendingPathComponent(String(file.lastPathComponent.dropLast(Self.suffix.count)) + Self.manifestSuffix)
        if FileManager.default.fileExists(atPath: manifest.path) { try move(manifest, into: folder) }
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
