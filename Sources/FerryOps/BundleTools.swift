public import Foundation
import FerryCore
public import FerrySeal
import FerryAudit
public import FerryNode

/// Forensic tools for gap operators and auditors: verify or open one bundle with a node's
/// keys, outside the pipeline. Neither stages nor applies anything.
public enum BundleTools {
    public struct Verified: Sendable {
        public var header: BundleHeader
        public var records: Int
        public var plainBytes: Int64
    }

    /// Checks addressing, sender, expiry, content hash, signature and every chunk, and
    /// decrypts to nowhere. The file is only read: a bundle that fails stays where it is
    /// (only `ferry receive` moves a rejected bundle to the transfer area's quarantine/).
    /// - Throws: the reader's `bundle.*` error, its hint saying the file was left in place.
    public static func verify(_ file: URL, _ deployment: Deployment, node name: String, now: Date = Date()) throws -> Verified {
        let reader = try reader(deployment, node: name)
        var records = 0
        var bytes: Int64 = 0
        let header = try leftInPlace(file) {
            try reader.open(file, now: now) { line in
                records += 1
                bytes += Int64(line.count + 1)
            }
        }
        return Verified(header: header, records: records, plainBytes: bytes)
    }

    /// Writes the bundle's records as NDJSON to `output` once everything verified; a
    /// bundle that fails leaves no output behind (a regular file is created mode 0600 under
    /// a temporary name and renamed; a pipe or device such as /dev/stdout receives the
    /// records only after the last check passed).
    public static func open(_ file: URL, _ deployment: Deployment, node name: String, output: URL, now: Date = Date()) throws -> Verified {
        let reader = try reader(deployment, node: name)
        let out = try OutputFile(output, permissions: 0o600, holdUntilCommit: true)
        defer { out.discard() }
        var records = 0
        var bytes: Int64 = 0
        let header = try leftInPlace(file) {
            try reader.open(file, now: now) { line in
                try out.write(line + [0x0A])
                records += 1
                bytes += Int64(line.count + 1)
            }
        }
        try out.commit()
        return Verified(header: header, records: records, plainBytes: bytes)
    }

    /// These tools never move the bundle they check, so a failure says so and what the
    /// pipeline would do, rather than leaving an operator to look for it in quarantine/.
    static func leftInPlace<T>(_ file: URL, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch var error as FerryError where error.code.family == .bundle {
            let note = "\(BundleReader.displayName(file)) was left where it is; 'ferry receive' would move it to quarantine/ with the reason and audit it"
            error.hint = error.hint.map { "\($0); \(note)" } ?? note
            throw error
        }
    }

    static func reader(_ deployment: Deployment, node name: String) throws -> BundleReader {
        guard let node = deployment.topology.node(named: name) else {
            throw FerryError(.config, "no node named \(name) in \(deployment.topology.file)")
        }
        return BundleReader(keys: try node.keyFiles.map(NodeKey.load), trust: try deployment.trustStore())
    }
}
