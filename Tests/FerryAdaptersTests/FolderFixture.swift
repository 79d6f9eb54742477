import Foundation
import FerryCore
@testable import FerryAdapters

/// A folder system on real files in a temporary directory, for the RealWorld… tests.
struct FolderFixture {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-real-\(UUID().uuidString)")
    var folder: URL { root.appendingPathComponent("in") }
    var out: URL { root.appendingPathComponent("out") }

    func adapter(_ format: RecordFileFormat, _ configure: (inout FolderAdapter.Options) -> Void = { _ in }) throws -> FolderAdapter {
        var options = FolderAdapter.Options(format: format)
        options.folder = folder
        options.out = out
        options.prefix = "test"
        configure(&options)
        for url in [folder, out] { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        return FolderAdapter(options: options)
    }

    /// Drops a file into the folder.
    func drop(_ name: String, _ bytes: [UInt8]) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(bytes).write(to: folder.appendingPathComponent(name))
    }

    func drop(_ name: String, _ text: String) throws { try drop(name, Array(text.utf8)) }

    /// Everything a read returns, batch by batch.
    func read(_ adapter: FolderAdapter, since: String? = nil, batch: Int = 100) throws -> (rows: [[String: Value]], positions: [String], malformed: [MalformedRow], checkpoint: String?) {
        var reader = try adapter.read(since: since, batchSize: batch)
        var result: (rows: [[String: Value]], positions: [String], malformed: [MalformedRow], checkpoint: String?) = ([], [], [], since)
        while let next = try reader.next() {
            result.rows += next.rows
            result.positions += next.positions
            result.malformed += next.malformed
            result.checkpoint = next.checkpoint
        }
        return result
    }

    /// The error a read throws, nil when it reads to the end.
    func refusal(_ adapter: FolderAdapter) throws -> FerryError? {
        do {
            _ = try read(adapter)
            return nil
        } catch let error as FerryError {
            return error
        }
    }

    func waiting(_ name: String) -> Bool { FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path) }
    func retired(_ name: String) -> Bool { FileManager.default.fileExists(atPath: folder.appendingPathComponent("done/\(name)").path) }

    /// The bytes of the files written to `out`, in name order.
    func written() throws -> [[UInt8]] {
        try FileManager.default.contentsOfDirectory(atPath: out.path).sorted().map { [UInt8](try Data(contentsOf: out.appendingPathComponent($0))) }
    }

    /// Moves every written file into the folder, to be read back.
    func readBack() throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: out.path) {
            try FileManager.default.moveItem(at: out.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
    }
}

/// Bytes of `text` in an iconv charset, made with the system's own iconv command so the
/// fixtures do not come from the code under test.
func encoded(_ text: String, as charset: String) throws -> [UInt8] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/iconv")
    process.arguments = ["-f", "UTF-8", "-t", charset]
    let input = Pipe(), output = Pipe()
    (process.standardInput, process.standardOutput) = (input, output)
    try process.run()
    input.fileHandleForWriting.write(Data(text.utf8))
    try input.fileHandleForWriting.close()
    let bytes = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return [UInt8](bytes)
}
