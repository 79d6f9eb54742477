public import Foundation
import FerryCore
public import FerrySeal
import FerryAudit

/// Forensic tools for gap operators and auditors: verify or open one bundle with a node's
/// keys, outside the pipeline. Neither stages nor applies anything.
public enum BundleTools {
    public struct Verified: Sendable {
        public var header: BundleHeader
        public var records: Int
        public var plainBytes: Int64
    }

    /// Checks addressing, sender, expiry, content hash, signature and every chunk, and
    /// decrypts to nowhere.
    public static func verify(_ file: URL, config: String, node name: String, now: Date = Date()) throws -> Verified {
        let reader = try reader(config: config, node: name)
        var records = 0
        var bytes: Int64 = 0
        let header = try reader.open(file, now: now) { line in
            records += 1
            bytes += Int64(line.count + 1)
        }
        return Verified(header: header, records: records, plainBytes: bytes)
    }

    /// Writes the bundle's records as NDJSON to `output` once everything verified; a
    /// bundle that fails leaves no output file behind.
    public static func open(_ file: URL, config: String, node name: String, output: URL, now: Date = Date()) throws -> Verified {
        let reader = try reader(config: config, node: name)
        let partial = output.appendingPathExtension("part")
        guard FileManager.default.createFile(atPath: partial.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw FerryError(.io, "cannot create \(partial.path)")
        }
        var success = false
        defer { if !success { try? FileManager.default.removeItem(at: partial) } }
        let handle = try FileHandle(forWritingTo: partial)
        defer { try? handle.close() }
        var records = 0
        var bytes: Int64 = 0
        let header = try reader.open(file, now: now) { line in
            try handle.writeAll(line + [0x0A])
            records += 1
            bytes += Int64(line.count + 1)
        }
        try handle.close()
        try? FileManager.default.removeItem(at: output)
        try FileManager.default.moveItem(at: partial, to: output)
        success = true
        return Verified(header: header, records: records, plainBytes: bytes)
    }

    static func reader(config: String, node name: String) throws -> BundleReader {
        let deployment = try Deployment.load(config)
        guard let node = deployment.topology.node(named: name) else {
            throw FerryError(.config, "no node named \(name) in \(config)")
        }
        return BundleReader(keys: try node.keyFiles.map(NodeKey.load), trust: try deployment.trustStore())
    }
}
