public import Foundation
import FerryCore
import FerrySeal
#if canImport(Glibc)
import Glibc
#endif

/// `ferry bench seal`: sealing and opening speed per suite on generated records, with the
/// crypto layer timed apart from compression, beside `openssl speed` for the same
/// primitives measured in the same run.
public enum SealBenchmark {
    public struct Result: Sendable {
        public var suite: String
        public var plainBytes: Int64
        public var bundleBytes: Int64
        /// Encrypt + MAC + signature digest + sign, over the compressed payload.
        public var sealCryptoMBps: Double
        /// Name and signature check + authenticate and decrypt every chunk.
        public var openCryptoMBps: Double
        public var compressMBps: Double
        public var decompressMBps: Double
        public var sealTotalMBps: Double
        public var openTotalMBps: Double
        /// `openssl speed -evp` for the suite's cipher and hash, in MB/s, when openssl ran.
        public var opensslCipher: (name: String, mbps: Double?)
        public var opensslHash: (name: String, mbps: Double?)
        public var peakRSSMB: Double
        /// The chunk layer alone, in memory on one core: seal (encrypt + MAC + signed digest)
        /// and open (signed digest + authenticate + decrypt), MB/s of payload.
        public var memorySealMBps: Double
        public var memoryOpenMBps: Double
        /// The same, with chunks spread over every core as the writer and reader do.
        public var parallelSealMBps: Double
        public var parallelOpenMBps: Double
        public var threads: Int
    }

    /// Seals and opens `megabytes` of generated records. `compressible` records look like
    /// real canonical records; incompressible ones make the crypto layer see every byte.
    public static func run(suite: String, megabytes: Int, compressible: Bool, directory: URL) throws -> Result {
        let sender = try NodeKey.generate(node: "bench-a", suite: suite)
        let recipient = try NodeKey.generate(node: "bench-b", suite: suite)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var parameters = BundleWriter.Parameters(lane: "a→b", sequence: 1)
        parameters.compressionLevel = 1
        let writer = try BundleWriter(directory: directory, sender: sender, recipients: [recipient.publicKey], parameters: parameters)

        let target = Int64(megabytes) << 20
        var written: Int64 = 0
        var line = [UInt8]()
        let random = try randomBytes(1 << 20)
        var index = 0
        var clock = Stopwatch()
        while written < target {
            line.removeAll(keepingCapacity: true)
            if compressible {
                line += Array(#"{"entity":"TravelApplication","fields":{"application_id":"WB2026"#.utf8)
                line += Array(String(format: "%06d", index % 1_000_000).utf8)
                line += Array(#"","name":"王伟","destinations":["AUS","USA"],"purpose":"商务考察 "#.utf8)
                line += Array(hex(random[(index * 13) % (random.count - 16)..<((index * 13) % (random.count - 16) + 8)]).utf8)
                line += Array(#""},"version":"2026-11-24T09:30:05Z"}"#.utf8)
            } else {
                let start = (index * 997) % (random.count - 1024)
                line += Array(hex(random[start..<start + 512]).utf8)
            }
            try writer.append(line: line)
            written += Int64(line.count + 1)
            index += 1
        }
        let compressSeconds = clock.lap()
        let sealed = try writer.finish()
        let sealSeconds = clock.lap()
        defer { try? FileManager.default.removeItem(at: sealed.url) }

        let (openCryptoSeconds, decompressSeconds) = try SealProbe.openPasses(sealed.url, recipient: recipient, sender: sender.publicKey, staging: directory)

        let megabyte = Double(1 << 20)
        let plain = Double(sealed.header.plainSize) / megabyte
        let compressed = Double(sealed.header.compressedSize) / megabyte
        let (cipherName, hashName) = suite == Suite.sm ? ("sm4-ctr", "sm3") : ("aes-256-gcm", "sha256")
        return Result(
            suite: suite, plainBytes: sealed.header.plainSize, bundleBytes: sealed.size,
            sealCryptoMBps: compressed / sealSeconds, openCryptoMBps: compressed / openCryptoSeconds,
            compressMBps: plain / compressSeconds, decompressMBps: plain / decompressSeconds,
            sealTotalMBps: plain / (compressSeconds + sealSeconds), openTotalMBps: plain / (openCryptoSeconds + decompressSeconds),
            opensslCipher: (cipherName, opensslSpeed(cipherName)), opensslHash: (hashName, opensslSpeed(hashName)),
            peakRSSMB: peakRSS(),
            memorySealMBps: try SealProbe.memoryThroughput(suite: suite, megabytes: max(megabytes, 256), open: false),
            memoryOpenMBps: try SealProbe.memoryThroughput(suite: suite, megabytes: max(megabytes, 256), open: true),
            parallelSealMBps: try SealProbe.parallelThroughput(suite: suite, megabytes: max(megabytes, 256), open: false),
            parallelOpenMBps: try SealProbe.parallelThroughput(suite: suite, megabytes: max(megabytes, 256), open: true),
            threads: SealProbe.workers)
    }

    /// `openssl speed -evp NAME` on 64 KiB blocks, in MB/s (2^20 bytes), or nil if unavailable.
    static func opensslSpeed(_ name: String) -> Double? {
        guard let output = spawnCapturing(["openssl", "speed", "-evp", name, "-bytes", "65536", "-seconds", "2"]) else { return nil }
        // The last line reads "<algorithm>   123456.78k": thousands of bytes per second.
        guard let last = output.split(separator: "\n").last, let field = last.split(separator: " ").last,
            field.hasSuffix("k"), let kilobytes = Double(field.dropLast())
        else { return nil }
        return kilobytes * 1000 / Double(1 << 20)
    }

    /// Runs a program and returns its standard output. Spawned with an empty signal mask and
    /// default dispositions: `openssl speed` stops its timing loops with SIGALRM, which a
    /// child of a Swift concurrency thread would otherwise inherit blocked, and never stop.
    static func spawnCapturing(_ arguments: [String]) -> String? {
        var pipe: [Int32] = [0, 0]
        guard Glibc.pipe(&pipe) == 0 else { return nil }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
        posix_spawn_file_actions_addclose(&actions, pipe[0])
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, arguments[0], &actions, &attributes, &argv, environ)
        close(pipe[1])
        defer { close(pipe[0]) }
        guard spawned == 0 else { return nil }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(pipe[0], &buffer, buffer.count)
            if count <= 0 { break }
            output += buffer[0..<count]
        }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return String(decoding: output, as: UTF8.self)
    }

    /// The process's peak resident set, in MB.
    public static func peakRSS() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}
