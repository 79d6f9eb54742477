import Foundation
import FerryCore

/// The peer `ferry bench documents` is measured beside: NNCP (nncp.mirrors.quux.org), which
/// carries files across air gaps as encrypted, signed packets. Two nodes are configured
/// with fresh keys; the file is queued with `nncp-file`, written to a transfer directory
/// with `nncp-xfer`, taken in on the other side with `nncp-xfer -rx` and unpacked with
/// `nncp-toss`. No records, no receipt, no audit log.
enum NNCPPeer {
    static let tools = ["nncp-cfgnew", "nncp-file", "nncp-xfer", "nncp-toss"]

    /// Seconds to carry `file` from one NNCP node to the other, and whether it arrived
    /// byte-identical; nil when NNCP is not installed.
    static func run(file: URL, directory: URL) throws -> (seconds: Double, identical: Bool)? {
        let located = tools.compactMap(PeerTool.locate)
        guard located.count == tools.count else { return nil }
        let (cfgnew, send, xfer, toss) = (located[0], located[1], located[2], located[3])
        try? FileManager.default.removeItem(at: directory)
        let gap = directory.appendingPathComponent("gap")
        try FileManager.default.createDirectory(at: gap, withIntermediateDirectories: true)
        let keys = try (0..<2).map { _ in try PeerTool.capture(cfgnew, ["-nocomments"]) }
        let configs = try [("A", 0, 1, "B"), ("B", 1, 0, "A")].map { name, own, peer, peerName in
            try config(name: name, own: keys[own], peer: keys[peer], peerName: peerName, in: directory)
        }
        let started = Date()
        try PeerTool.run(send, ["-quiet", "-cfg", configs[0].path, file.path, "B:"])
        try PeerTool.run(xfer, ["-quiet", "-mkdir", "-cfg", configs[0].path, gap.path])
        try PeerTool.run(xfer, ["-quiet", "-rx", "-cfg", configs[1].path, gap.path])
        try PeerTool.run(toss, ["-quiet", "-cfg", configs[1].path])
        let seconds = Date().timeIntervalSince(started)
        let arrived = directory.appendingPathComponent("B/incoming").appendingPathComponent(file.lastPathComponent)
        return (seconds, try FileComparison.identical(file, arrived))
    }

    /// A node's configuration (Hjson, as `nncp-cfgnew` writes it): its own keys from
    /// `own`, the other node's public keys from `peer`, spool and incoming folders under
    /// `directory/NAME`.
    private static func config(name: String, own: String, peer: String, peerName: String, in directory: URL) throws -> URL {
        let home = directory.appendingPathComponent(name)
        for folder in ["spool", "incoming"] {
            try FileManager.default.createDirectory(at: home.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        func keys(_ text: String, _ names: [String]) throws -> String {
            // The `self:` block's `name: value` lines, the first of each name.
            let lines = text.split(separator: "\n").drop { !$0.hasPrefix("  self:") }
            return try names.map { key in
                guard let line = lines.first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("\(key):") }) else {
                    throw FerryError(.benchmark, "nncp-cfgnew wrote no \(key)")
                }
                return "    " + line.trimmingCharacters(in: .whitespaces)
            }.joined(separator: "\n")
        }
        let publicNames = ["id", "exchpub", "signpub", "noisepub"]
        let text = """
            {
              spool: \(home.path)/spool
              log: \(home.path)/log
              self: {
            \(try keys(own, ["id", "exchpub", "exchprv", "signpub", "signprv", "noiseprv", "noisepub"]))
              }
              neigh: {
                self: {
            \(try keys(own, publicNames))
                }
                \(peerName): {
            \(try keys(peer, publicNames))
                  incoming: \(home.path)/incoming
                }
              }
            }

            """
        let url = directory.appendingPathComponent("\(name).hjson")
        try Data(text.utf8).write(to: url)
        return url
    }
}

/// Two files compared a MiB at a time.
enum FileComparison {
    static func identical(_ a: URL, _ b: URL) throws -> Bool {
        guard let left = FileHandle(forReadingAtPath: a.path), let right = FileHandle(forReadingAtPath: b.path) else { return false }
        defer { try? left.close(); try? right.close() }
        while true {
            let x = try left.read(upToCount: 1 << 20) ?? Data()
            let y = try right.read(upToCount: 1 << 20) ?? Data()
            guard x == y else { return false }
            if x.isEmpty { return true }
        }
    }
}
