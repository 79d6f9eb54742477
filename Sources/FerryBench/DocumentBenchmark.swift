public import Foundation
import FerryCore

/// `ferry bench documents`: one generated PDF-like document of N MB with its record
/// through one hop across a directory gap, `ferry sync` and `ferry receive` each as its own
/// process, beside NNCP carrying the same file in the same run.
public enum DocumentBenchmark {
    public struct Options: Sendable {
        public var directory: URL
        public var megabytes: Int
        /// The `ferry` executable the two steps run.
        public var executable: URL
        /// Content per documents bundle, in MiB (the channel's `bundle_bytes`).
        public var bundleMegabytes = 16
        /// Where the document lands: the archive folder, and with this the library's BLOB
        /// column too (SQLite holds at most 1,000,000,000 bytes in one value).
        public var alsoBlob = false

        public init(directory: URL, megabytes: Int, executable: URL) {
            (self.directory, self.megabytes, self.executable) = (directory, megabytes, executable)
        }
    }

    public struct Result: Sendable {
        public var bytes: Int64
        /// The sending step: read, store and digest the file, seal and drop its bundles.
        public var sync: Step
        /// The receiving step: verify, open, reassemble, check and write the document.
        public var receive: Step
        public var gapBytes: Int64
        public var documentBundles: Int
        /// Whether every copy written at the target equals the source file.
        public var identical: Bool
        public var peerSeconds: Double?
        public var peerIdentical: Bool?

        public var seconds: Double { sync.seconds + receive.seconds }
        public var megabytesPerSecond: Double { Double(bytes) / 1e6 / max(seconds, 0.001) }
    }

    public struct Step: Sendable {
        public var seconds: Double
        public var peakMB: Double
    }

    public static func run(_ options: Options) throws -> Result {
        let directory = options.directory
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try DocumentScenario.create(in: directory, channel: "bundle_bytes: \(options.bundleMegabytes << 20)",
            targets: options.alsoBlob ? ["library", "archive"] : ["archive"])
        let size = options.megabytes * 1_000_000
        let source = directory.appendingPathComponent("data/registry-export/scan.pdf")
        try DocumentScenario.pdf(at: source, size: size)
        try DocumentScenario.export("batch.ndjson", in: directory, [("BDC-0001", "scan.pdf")])

        let config = directory.appendingPathComponent("ferry.yaml").path
        let sync = try MeasuredRun.run(options.executable, ["sync", "certificates", "--flush", "--config", config, "--node", "extranet-gw"],
            log: directory.appendingPathComponent("sync.log"))
        let gap = directory.appendingPathComponent("gap/extranet-to-jinhong")
        let bundles = try FileManager.default.contentsOfDirectory(at: gap, includingPropertiesForKeys: [.fileSizeKey]).filter { $0.pathExtension == "bundle" }
        let gapBytes = try bundles.reduce(Int64(0)) { $0 + Int64(try $1.resourceValues(forKeys: [.fileSizeKey]).fileSize ?? 0) }
        let receive = try MeasuredRun.run(options.executable, ["receive", "--config", config, "--node", "jinhong-gw"],
            log: directory.appendingPathComponent("receive.log"))

        let copies = try archivedCopies(in: directory)
        var identical = try copies.count == 1 && copies.allSatisfy { try FileComparison.identical(source, $0) }
        if options.alsoBlob {
            let blob = directory.appendingPathComponent("library-scan.bin")
            try SQLiteBlobExport.write(database: directory.appendingPathComponent("data/library.db"), to: blob)
            let blobIdentical = try FileComparison.identical(source, blob)
            identical = identical && blobIdentical
            try? FileManager.default.removeItem(at: blob)
        }
        let peer = try NNCPPeer.run(file: source, directory: directory.appendingPathComponent("nncp"))
        return Result(bytes: Int64(size), sync: Step(seconds: sync.seconds, peakMB: sync.peakMB),
            receive: Step(seconds: receive.seconds, peakMB: receive.peakMB), gapBytes: gapBytes, documentBundles: bundles.count - 1,
            identical: identical, peerSeconds: peer?.seconds, peerIdentical: peer?.identical)
    }

    /// The files the archive folder sink wrote under `documents/`.
    static func archivedCopies(in directory: URL) throws -> [URL] {
        let documents = directory.appendingPathComponent("data/archive/documents")
        guard let walker = FileManager.default.enumerator(at: documents, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        return walker.compactMap { $0 as? URL }.filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
    }
}

/// The library's stored scan written out to a file, by the `sqlite3` shell's `writefile()`,
/// so the benchmark compares it with the source without holding it in its own memory.
enum SQLiteBlobExport {
    static func write(database: URL, to file: URL) throws {
        guard let sqlite3 = PeerTool.locate("sqlite3") else {
            throw FerryError(.benchmark, "comparing the BLOB column needs the sqlite3 shell", hint: "apt-get install sqlite3")
        }
        try PeerTool.run(sqlite3, [database.path, "SELECT writefile('\(file.path)', WJ) FROM licences WHERE ZSBH = 'BDC-0001'"])
    }
}
