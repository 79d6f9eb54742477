import Foundation
import Testing
import FerryAdapters
import FerryCore
import FerryMapping

/// Random and mutated bytes fed to every reader of outside input: JSON
/// (`CanonicalJSON.decode`), `ferry mapping apply`, NDJSON, CSV and XML folder sources,
/// and the YAML of topologies, mappings and entities. No input may crash or hang a reader;
/// refusing it is fine. Not run in CI: it runs only when FERRY_FUZZ gives the number of
/// inputs (docs/fuzzing.md):
///
///     FERRY_FUZZ=1000000 swift test --filter FuzzReaders
///
/// FERRY_FUZZ_READERS=json,xml picks readers, FERRY_FUZZ_SEED replays a run, and
/// FERRY_FUZZ_CRASHES names the folder a crashing or hanging input is written to.
@Suite(.serialized) struct FuzzReaders {
    static let environment = ProcessInfo.processInfo.environment
    static let total = Int(environment["FERRY_FUZZ"] ?? "") ?? 0
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Each reader's share of the inputs, in parts of 100.
    static let shares: [(reader: String, share: Int)] = [
        ("json", 40), ("mapping-apply", 10), ("ndjson", 10), ("csv", 12), ("xml", 14), ("yaml", 14),
    ]

    @Test(.enabled(if: total > 0, "set FERRY_FUZZ=<inputs> to fuzz the readers"))
    func readersNeverCrash() throws {
        let seed = UInt64(Self.environment["FERRY_FUZZ_SEED"] ?? "") ?? UInt64(Date().timeIntervalSince1970)
        let picked = Set((Self.environment["FERRY_FUZZ_READERS"] ?? "").split(separator: ",").map(String.init))
        let crashes = URL(fileURLWithPath: Self.environment["FERRY_FUZZ_CRASHES"] ?? NSTemporaryDirectory())
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-fuzz-\(seed)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: crashes, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        FuzzCrashCapture.install()
        defer { FuzzCrashCapture.release() }
        let chosen = Self.shares.filter { picked.isEmpty || picked.contains($0.reader) }
        let parts = chosen.reduce(0) { $0 + $1.share }
        var fed = 0
        for (index, entry) in chosen.enumerated() {
            let count = index == chosen.count - 1 ? Self.total - fed : Self.total * entry.share / parts
            var target = try FuzzTarget(reader: entry.reader, work: work.appendingPathComponent(entry.reader), repository: Self.repository)
            var mutator = FuzzMutator(seed: seed &+ UInt64(index), seeds: target.seeds, dictionary: target.dictionary)
            FuzzCrashCapture.prepare(folder: crashes, reader: entry.reader)
            let started = Date()
            var refused = 0
            for done in 0..<count {
                // On stderr, unbuffered: after a crash, the last line says how far the run got.
                if done % 10_000 == 0 { FileHandle.standardError.write(Data("fuzz \(entry.reader): \(done) inputs so far\n".utf8)) }
                let input = mutator.next()
                FuzzCrashCapture.hold(input)
                if !target.feed(input) { refused += 1 }
                FuzzCrashCapture.release()
            }
            FuzzCrashCapture.release()
            fed += count
            let seconds = Date().timeIntervalSince(started)
            print("fuzz \(entry.reader): \(count) inputs, \(refused) refused, \(count - refused) read, 0 crashes, \(Int(seconds))s (seed \(seed &+ UInt64(index)))")
            for finding in target.findings.prefix(5) { Issue.record("\(entry.reader): \(finding)") }
            #expect(target.findings.isEmpty, "\(entry.reader): \(target.findings.count) findings")
        }
        print("fuzz: \(fed) inputs in total, seed \(seed)")
    }

    /// Feeds one saved input (FERRY_FUZZ_REPLAY=path) to the readers FERRY_FUZZ_READERS
    /// names, to check a crash or a fix.
    @Test(.enabled(if: environment["FERRY_FUZZ_REPLAY"] != nil, "set FERRY_FUZZ_REPLAY=<file> to replay one input"))
    func replay() throws {
        let input = Array(try Data(contentsOf: URL(fileURLWithPath: Self.environment["FERRY_FUZZ_REPLAY"] ?? "")))
        let picked = (Self.environment["FERRY_FUZZ_READERS"] ?? "json").split(separator: ",").map(String.init)
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-fuzz-replay-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        for reader in picked {
            var target = try FuzzTarget(reader: reader, work: work.appendingPathComponent(reader), repository: Self.repository)
            let started = Date()
            let took = target.feed(input)
            print("fuzz replay \(reader): \(input.count) bytes \(took ? "read" : "refused") in \(Date().timeIntervalSince(started))s")
            #expect(target.findings.isEmpty, "\(target.findings)")
        }
    }
}
