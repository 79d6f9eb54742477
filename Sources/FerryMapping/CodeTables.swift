public import Foundation
public import FerryCore

/// The code tables of a deployment, loaded lazily from `Mappings/codes/NAME.csv`.
public final class CodeTables: @unchecked Sendable {
    // Sendable: the cache is guarded by `lock`; tables themselves are immutable values.
    public let directory: URL
    private var cache: [String: CodeTable] = [:]
    private let lock = NSLock()

    public init(directory: URL) { self.directory = directory }

    public func table(_ name: String, at location: SourceLocation) throws -> CodeTable {
        lock.lock()
        defer { lock.unlock() }
        if let table = cache[name] { return table }
        let url = directory.appendingPathComponent("\(name).csv")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            let known = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
                .filter { $0.hasSuffix(".csv") }.map { String($0.dropLast(4)) }.sorted()
            throw FerryError(.config, "unknown code table '\(name)' (no \(url.path))", at: .file(location),
                hint: known.isEmpty ? "put code tables under \(directory.path)" : "known tables: \(known.joined(separator: ", "))")
        }
        let table = try CodeTable(name: name, csv: String(decoding: data, as: UTF8.self), file: url.path)
        cache[name] = table
        return table
    }
}
