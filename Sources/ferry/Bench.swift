import ArgumentParser
import Foundation
import FerrySeal
import FerryNode
import FerryOps
import FerryBench

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure Ferry's throughput on generated data.", subcommands: [SealBench.self, QueueBench.self, E2EBench.self, DocumentsBench.self, MappingBench.self, AdaptersBench.self, AuditBench.self, ReconcileBench.self])

    struct SealBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "seal",
            abstract: "Seal and open generated records with each suite; print MB/s and peak memory.",
            discussion: """
                The crypto layer (encrypt, MAC, signature digest and signature; name and signature \
                check, authenticate and decrypt) is timed apart from zstd, and printed beside \
                `openssl speed -evp` for the suite's cipher and hash, measured in the same run. \
                By default the records are incompressible so the crypto layer sees every byte;
                --compressible uses record-like text instead.

                Example:
                  ferry bench seal --megabytes 512
                  ferry bench seal --suite x25519-aes256gcm-ed25519 --megabytes 2048   # peak RSS stays flat
                """)

        @Option(name: .long, help: "Payload size per suite, in MiB.")
        var megabytes = 256

        @Option(name: .long, help: "Only this suite (default: both).")
        var suite: String?

        @Flag(name: .long, help: "Use record-like, compressible payloads.")
        var compressible = false

        @Option(name: .long, help: "Scratch directory for the bundle and its staging file.")
        var dir: String = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-bench").path

        func run() throws {
            let suites = suite.map { [$0] } ?? Suite.supported
            for name in suites {
                let r = try reporting {
                    try SealBenchmark.run(suite: name, megabytes: megabytes, compressible: compressible, directory: URL(fileURLWithPath: dir))
                }
                func f(_ v: Double?) -> String { v.map { String(format: "%.0f", $0) } ?? "n/a" }
                print("suite \(r.suite): \(r.plainBytes >> 20) MiB of records, bundle \(r.bundleBytes >> 20) MiB")
                print("  crypto layer, in memory, one core: seal \(f(r.memorySealMBps)) MB/s, open \(f(r.memoryOpenMBps)) MB/s")
                print("  crypto layer, in memory, \(r.threads) threads: seal \(f(r.parallelSealMBps)) MB/s, open \(f(r.parallelOpenMBps)) MB/s")
                print("  crypto layer with files: seal \(f(r.sealCryptoMBps)) MB/s, open \(f(r.openCryptoMBps)) MB/s")
                print("  openssl speed -evp \(r.opensslCipher.name): \(f(r.opensslCipher.mbps)) MB/s, \(r.opensslHash.name): \(f(r.opensslHash.mbps)) MB/s")
                print("  zstd compress           \(f(r.compressMBps)) MB/s, decompress \(f(r.decompressMBps)) MB/s")
                print("  seal end to end         \(f(r.sealTotalMBps)) MB/s, open end to end \(f(r.openTotalMBps)) MB/s")
                print("  peak RSS so far         \(String(format: "%.1f", r.peakRSSMB)) MB")
            }
        }
    }

    struct QueueBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "queue",
            abstract: "Records/s through enqueue, pack, stage and apply, and recovery time with a deep queue.",
            discussion: """
                Runs the queue's own transaction shapes on SQLite stores in a scratch directory:
                enqueue in batches of 1000 with cursor and audit entries, pack into sealed bundles \
                of 5000, verify and stage them on a second store, apply to an SQLite table with the \
                version guard. Recovery is reopening the store and reading its status with every \
                record still queued.

                Example:
                  ferry bench queue --records 1000000
                """)

        @Option(name: .long, help: "Records to push through.")
        var records = 200_000

        @Option(name: .long, help: "Scratch directory (emptied first).")
        var dir: String = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-bench-queue").path

        func run() throws {
            let r = try reporting { try QueueBenchmark.run(records: records, directory: URL(fileURLWithPath: dir)) }
            func f(_ v: Double) -> String { String(format: "%.0f", v) }
            print("\(r.records) records")
            print("  enqueue   \(f(r.enqueuePerSecond)) records/s")
            print("  pack      \(f(r.packPerSecond)) records/s (seal included)")
            print("  stage     \(f(r.stagePerSecond)) records/s (verify and open included)")
            print("  apply     \(f(r.applyPerSecond)) records/s (SQLite sink, version guard)")
            print("            \(f(r.applyQueuePerSecond)) records/s of it the queue's own work (fetch, settle, applied versions)")
            print("  recovery  \(String(format: "%.2f", r.recoverySeconds)) s to reopen with \(r.records) queued (store \(String(format: "%.0f", r.storeMegabytes)) MB)")
            print("  peak RSS  \(String(format: "%.1f", SealBenchmark.peakRSS())) MB")
        }
    }

    struct MappingBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mapping",
            abstract: "Records/s mapping canonical records into a system dialect on one core, beside jq on the same file.",
            discussion: """
                Generates official-travel records as NDJSON, then streams them through a mapping \
                into the approval system's dialect (code tables for sex and country, date \
                formats, list joins) to /dev/null, and runs jq with the equivalent program over \
                the same file.

                Example:
                  ferry bench mapping --records 500000
                """)

        @Option(name: .long, help: "Records to generate.")
        var records = 500_000

        @Option(name: .long, help: "The Mappings/codes folder with the gender and country tables.")
        var codes = "Mappings/codes"

        @Option(name: .long, help: "Scratch directory.")
        var dir: String = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-bench-mapping").path

        func run() throws {
            let r = try reporting {
                try MappingBenchmark.run(records: records, codes: URL(fileURLWithPath: codes), directory: URL(fileURLWithPath: dir))
            }
            print("\(r.records) records, \(String(format: "%.1f", r.inputMegabytes)) MB of NDJSON, \(r.rejected) rejected")
            print("  ferry  \(String(format: "%.0f", r.ferryPerSecond)) records/s (one core, read, map, write)")
            if let jq = r.jqPerSecond {
                print("  \(r.jqVersion ?? "jq")  \(String(format: "%.0f", jq)) records/s (same file, equivalent program)")
                print("  ratio  \(String(format: "%.1f", r.ferryPerSecond / jq))x")
            } else {
                print("  jq not installed: no comparison")
            }
            print("  peak RSS \(String(format: "%.1f", r.peakRSSMB)) MB")
        }
    }

    struct AdaptersBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "adapters",
            abstract: "Apply and read records/s of the SQLite, PostgreSQL and MySQL adapters, beside sqlite3 .import, psql \\copy and LOAD DATA.",
            discussion: """
                Applies generated rows in batches of 5000 with the version guard, reads them back \
                by the cursor column, and bulk-loads the same rows with the database's own tool in \
                the same run, into a table of the same shape (key and cursor index). PostgreSQL is measured when --postgres is given; its password is \
                read from FERRY_BENCH_POSTGRES_PASSWORD. MySQL (or MariaDB) is measured when
                --mysql is given, beside LOAD DATA LOCAL INFILE through the mariadb client; its
                password is read from FERRY_BENCH_MYSQL_PASSWORD.

                Example:
                  ferry bench adapters --records 500000 --postgres postgres://ferry@127.0.0.1:54329/postgres \\
                    --mysql mysql://ferry@127.0.0.1:33069/ferry_test
                """)

        @Option(name: .long, help: "Rows to generate.") var records = 500_000
        @Option(name: .long, help: "A PostgreSQL server to measure, postgres://USER@HOST:PORT/DATABASE.") var postgres: String?
        @Option(name: .long, help: "A MySQL-protocol server to measure, mysql://USER@HOST:PORT/DATABASE.") var mysql: String?
        @Option(name: .long, help: "Scratch directory.")
        var dir: String = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-bench-adapters").path

        func run() throws {
            let figures = try reporting {
                try AdapterBenchmark.run(records: records, directory: URL(fileURLWithPath: dir), postgres: postgres,
                    password: ProcessInfo.processInfo.environment["FERRY_BENCH_POSTGRES_PASSWORD"], mysql: mysql,
                    mysqlPassword: ProcessInfo.processInfo.environment["FERRY_BENCH_MYSQL_PASSWORD"])
            }
            func f(_ value: Double) -> String { String(format: "%.0f", value) }
            for figure in figures {
                print("\(figure.adapter): \(figure.records) records")
                print("  apply  \(f(figure.applyPerSecond)) records/s (batches of 5000, version-guarded upsert)")
                print("  read   \(f(figure.readPerSecond)) records/s (by cursor column)")
                if let bulk = figure.bulkLoadPerSecond {
                    print("  \(figure.bulkTool)  \(f(bulk)) records/s: apply is \(String(format: "%.2f", figure.applyPerSecond / bulk))x of it")
                }
            }
        }
    }

    struct AuditBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "audit",
            abstract: "End-to-end records/s of the three-network demo with the audit log on, beside a log that only counts events.",
            discussion: """
                Runs every hop of the demo (sync, receive, apply, receipts) twice per round: once \
                with the full audit log (hash chain, per-record index, checkpoints) and once with \
                events only counted. Prints the best of each and the overhead.

                Example:
                  ferry bench audit --records 100000 --rounds 3
                """)

        @Option(name: .long, help: "Applications to generate.") var records = 100_000
        @Option(name: .long, help: "Rounds; the best of each mode counts.") var rounds = 3
        @Option(name: .long, help: "Scratch directory.")
        var dir: String = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-bench-audit").path

        func run() throws {
            let figures = try reporting {
                try AuditBenchmark.run(records: records, rounds: rounds, directory: URL(fileURLWithPath: dir), logger: makeLogger(format: .text, defaultLevel: .warning))
            }
            func f(_ value: Double) -> String { String(format: "%.0f", value) }
            print("\(figures.records) applications, \(figures.moved) records applied across all hops")
            print("  audit on         \(f(figures.auditedPerSecond)) records/s (\(figures.entries) entries, \(figures.indexedRecords) indexed records)")
            print("  counting only    \(f(figures.countedPerSecond)) records/s")
            print("  overhead         \(String(format: "%.1f", figures.overheadPercent))% (target: at most 10%)")
            print("  stores           \(String(format: "%.1f", Double(figures.storeBytes) / 1_048_576)) MB for three nodes; peak RSS \(String(format: "%.1f", figures.peakRSSMB)) MB")
        }
    }

    struct ReconcileBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reconcile",
            abstract: "Two copies of generated records with some differences: wall time, peak RSS and the bytes of the bundles crossing the gap.",
            discussion: """
                Runs the two-way reconcile protocol between two copies generated on the fly: the \
                source opens with its range summary, the target answers with a sketch sized from \
                the comparison, the source peels the differences out. Every message is sealed \
                into a real bundle; the figures are those bundles' sizes. Then the one-way \
                protocol: a first opening of every range with a sketch for --differences \
                records, and a later one that ships only the ranges the source changed since.

                Example:
                  ferry bench reconcile --records 1000000 --differences 1000
                """)

        @Option(name: .long, help: "Records in each copy.") var records = 1_000_000
        @Option(name: .long, help: "Records deleted, changed or inserted on one side.") var differences = 1000
        @Option(name: .long, help: "Where the bundles are sealed (removed afterwards).") var directory = NSTemporaryDirectory() + "ferry-bench-reconcile"

        func run() throws {
            let figures = try ReconcileBenchmark.run(records: records, differences: differences, directory: URL(fileURLWithPath: directory))
            print("\(figures.records) vs \(figures.records) records, \(figures.differences) differences made, \(figures.found) found")
            print("  wall \(String(format: "%.2f", figures.seconds)) s, peak RSS \(String(format: "%.1f", figures.peakRSSMB)) MB, sketch width \(figures.sketchWidth)")
            print("  across the gap: \(figures.bytes) bytes in \(figures.bundles.count) bundles (\(figures.bundles.map(String.init).joined(separator: " + "))); target: under 100 KB")
            for (run, oneWay) in zip(["first", "later"], figures.oneWay) {
                print("  one-way, \(run) opening: \(oneWay.shippedRanges) of \(oneWay.ranges) ranges shipped, sketch width \(oneWay.sketchWidth), \(oneWay.bytes) bytes in 1 bundle, \(oneWay.found) found, \(String(format: "%.2f", oneWay.seconds)) s")
            }
        }
    }
}
