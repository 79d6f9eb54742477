import ArgumentParser
import Foundation
import FerryBench

extension Bench {
    struct DocumentsBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "documents",
            abstract: "MB/s of one large document with its record through one hop, beside NNCP.",
            discussion: """
                Generates a PDF-like file (incompressible, like a scan) and one record naming it, \
                then runs `ferry sync` on the sending node and `ferry receive` on the receiving one, \
                each as its own process: the file is stored and digested, chunked into documents \
                bundles, sealed, dropped, verified, reassembled, checked against its digest and \
                written to an archive folder (with --blob, also into an SQLite BLOB column). Peak \
                RSS is each process's. The peer is NNCP carrying the same file: nncp-file, \
                nncp-xfer out and in, nncp-toss (apt-get install nncp).

                Example:
                  ferry bench documents --megabytes 1024
                """)

        @Option(name: .long, help: "Size of the document in MB (10^6 bytes).")
        var megabytes = 1024

        @Option(name: .long, help: "Content per documents bundle, in MiB.")
        var bundleMegabytes = 16

        @Flag(name: .long, help: "Also write the document into an SQLite BLOB column (at most 953 MB).")
        var blob = false

        @Option(name: .long, help: "Scratch directory (emptied first).")
        var dir: String = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-bench-documents").path

        func run() throws {
            guard megabytes >= 1 else { throw ValidationError("--megabytes takes 1 or more") }
            guard (1...256).contains(bundleMegabytes) else { throw ValidationError("--bundle-megabytes takes 1 to 256") }
            let executable = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).resolvingSymlinksInPath()
            var options = DocumentBenchmark.Options(directory: URL(fileURLWithPath: dir), megabytes: megabytes, executable: executable)
            (options.bundleMegabytes, options.alsoBlob) = (bundleMegabytes, blob)
            let r = try reporting { try DocumentBenchmark.run(options) }
            func mb(_ seconds: Double) -> String { String(format: "%.1f MB/s", Double(r.bytes) / 1e6 / max(seconds, 0.001)) }
            print("\(megabytes) MB document with its record, one hop across a directory gap, \(bundleMegabytes) MiB documents bundles")
            print("  end to end  \(String(format: "%.1f", r.megabytesPerSecond)) MB/s (\(String(format: "%.1f", r.seconds)) s), "
                + "\(String(format: "%.1f", Double(r.gapBytes) / 1e6)) MB through the gap in \(r.documentBundles) documents bundles and 1 records bundle")
            print("  sync        \(mb(r.sync.seconds)) (\(String(format: "%.1f", r.sync.seconds)) s), peak RSS \(String(format: "%.1f", r.sync.peakMB)) MB")
            print("  receive     \(mb(r.receive.seconds)) (\(String(format: "%.1f", r.receive.seconds)) s), peak RSS \(String(format: "%.1f", r.receive.peakMB)) MB")
            print("  arrived     \(r.identical ? "byte-identical" : "DIFFERENT from the source")\(blob ? " in the archive folder and the BLOB column" : " in the archive folder")")
            if let peer = r.peerSeconds {
                print("  peer        nncp-file, nncp-xfer out and in, nncp-toss: \(mb(peer)) (\(String(format: "%.1f", peer)) s)"
                    + "\(r.peerIdentical == true ? "" : ", NOT identical"); Ferry takes \(String(format: "%.1f", r.seconds / max(peer, 0.001)))× as long")
            } else {
                print("  peer        not measured: NNCP is not installed (apt-get install nncp)")
            }
            if !r.identical { throw ExitCode.failure }
        }
    }
}
