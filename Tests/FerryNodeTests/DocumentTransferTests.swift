import Foundation
import GRDB
import Testing
import FerryCore
import FerryTestSupport
@testable import FerryNode
@testable import FerryOps
@testable import FerryQueue
@testable import FerryBench
import FerryAudit
import FerrySeal

/// Documents across a directory gap with their records (docs/documents.md): byte-identical
/// at a BLOB column and a folder, chunked over several bundles, sent once however many
/// records name them, resent chunk by chunk, and never applied partial.
@Suite struct DocumentTransferTests {
    @Test(arguments: StoreKind.allCases) func aScannedCertificateArrivesByteIdenticalInABlobColumnAndAFolder(store: StoreKind) throws {
        // 1 MiB bundles: the 2.5 MB scan spans three documents bundles.
        let fixture = try DocumentFixture("documents-basic-\(store)", channel: "bundle_bytes: 1048576", store: store)
        let deed = try fixture.pdf("deed-0001.pdf", size: 2_500_000)
        let stamp = try fixture.pdf("stamp.pdf", size: 40_000, seed: 2)
        try fixture.export("batch-1.ndjson", [("BDC-0001", "deed-0001.pdf"), ("BDC-0002", "stamp.pdf")])

        let sync = try fixture.extranet.sync(flow: "certificates", flush: true)
        #expect(sync.enqueued == 2)
        #expect(sync.quarantined == 0)
        #expect(try fixture.documentBundles().count == 4)

        let received = try fixture.jinhong.receive()
        #expect(received.applied == 2)
        let library = try fixture.libraryFiles()
        #expect(library["BDC-0001"]?.bytes == (try Data(contentsOf: deed)))
        #expect(library["BDC-0001"]?.name == "deed-0001.pdf")
        #expect(library["BDC-0002"]?.bytes == (try Data(contentsOf: stamp)))

        // The archive folder holds each file under its digest's prefix, named as it was. Every
        // export is read: each apply pass writes one, and which pass wrote a record is not
        // what this checks.
        let archive = fixture.directory.appendingPathComponent("data/archive")
        let exports = try FileManager.default.contentsOfDirectory(atPath: archive.path).filter { $0.hasSuffix(".ndjson") }
        let lines = try exports.map { try String(contentsOf: archive.appendingPathComponent($0), encoding: .utf8) }.joined(separator: "\n")
        let files = lines.split(separator: "\n").compactMap { row -> String? in
            guard case .object(let o) = try? CanonicalJSON.decode(Array(row.utf8)), o["no"] == "BDC-0001" else { return nil }
            return o["file"]?.text
        }
        let relative = try #require(files.first)
        #expect(relative.hasPrefix("documents/") && relative.hasSuffix("/deed-0001.pdf"))
        #expect(try Data(contentsOf: fixture.directory.appendingPathComponent("data/archive/\(relative)")) == (try Data(contentsOf: deed)))

        // Every documents bundle is receipted like a records bundle, and both chains verify.
        _ = try fixture.extranet.receive()
        #expect(try fixture.documentBundles().allSatisfy { $0.state == "delivered" })
        for node in ["extranet-gw", "jinhong-gw"] {
            #expect(try AuditTools.verify(fixture.extranet.deployment, node: node).entries > 0)
        }
        let reassembled = try fixture.jinhong.store.read { tx in
            try tx.db.value(Int.self, sql: "SELECT count(*) FROM audit WHERE kind = 'document.reassembled'")
        }
        #expect(reassembled == 2)
    }

    @Test func oneDocumentNamedByAThousandRecordsCrossesOnce() throws {
        let fixture = try DocumentFixture("documents-dedup")
        try fixture.pdf("shared.pdf", size: 300_000)
        try fixture.export("batch.ndjson", (1...1000).map { (String(format: "BDC-%04d", $0), "shared.pdf") })
        let sync = try fixture.extranet.sync(flow: "certificates", flush: true)
        #expect(sync.enqueued == 1000)
        #expect(try fixture.documentBundles().count == 1)
        let received = try fixture.jinhong.receive()
        #expect(received.applied == 1000)
        let library = try fixture.libraryFiles()
        #expect(library.count == 1000)
        #expect(Set(library.values.compactMap(\.bytes)).count == 1)
        // A later export naming the same file again sends no document at all.
        try fixture.export("batch-2.ndjson", [("BDC-2001", "shared.pdf")])
        _ = try fixture.extranet.sync(flow: "certificates", flush: true)
        #expect(try fixture.documentBundles().count == 1)
        #expect(try fixture.jinhong.receive().applied == 1)
    }

    @Test(arguments: StoreKind.allCases) func aLostChunkBundleIsResentAloneAndTheRecordWaitsForIt(store: StoreKind) throws {
        let fixture = try DocumentFixture("documents-loss-\(store)", channel: "bundle_bytes: 1048576, resend_after: 0", store: store)
        let deed = try fixture.pdf("deed.pdf", size: 2_500_000)
        try fixture.export("batch.ndjson", [("BDC-0001", "deed.pdf")])
        _ = try fixture.extranet.sync(flow: "certificates", flush: true)
        let parts = try fixture.documentBundles()
        #expect(parts.count == 3)

        // The second part vanishes in transit.
        try FileManager.default.removeItem(at: try #require(try fixture.gapBundle(sequence: parts[1].sequence)))

        let first = try fixture.jinhong.receive()
        #expect(first.applied == 0)
        #expect(first.resendRequests.count == 1)
        #expect(try fixture.libraryFiles().isEmpty)

        // The sender drops only the missing sequence again, and the record goes through.
        let answered = try fixture.extranet.receive()
        #expect(answered.resent == 1)
        let second = try fixture.jinhong.receive()
        #expect(second.applied == 1)
        #expect(try fixture.libraryFiles()["BDC-0001"]?.bytes == (try Data(contentsOf: deed)))
        let resent = try fixture.extranet.store.read { tx in
            try tx.db.rows(sql: "SELECT details FROM audit WHERE kind = 'resent'").map { $0[0] as String }
        }
        #expect(resent.count == 1)
        #expect(resent.first?.contains("\"sequence\":\(parts[1].sequence)") == true)
    }

    @Test func filesThatCannotBeTakenAreQuarantinedWithTheirReason() throws {
        let fixture = try DocumentFixture("documents-refused", extranetNode: "max_document_size: 100000")
        try fixture.pdf("big.pdf", size: 200_000)
        try Data("not a pdf at all".utf8).write(to: fixture.directory.appendingPathComponent("data/registry-export/fake.pdf"))
        try fixture.pdf("fine.pdf", size: 5_000)
        try fixture.export("batch.ndjson", [
            ("BDC-0001", "big.pdf"), ("BDC-0002", "fake.pdf"), ("BDC-0003", "../../keys/extranet-gw.key"), ("BDC-0004", "missing.pdf"),
            ("BDC-0005", "fine.pdf"),
        ])
        let sync = try fixture.extranet.sync(flow: "certificates", flush: true)
        #expect(sync.enqueued == 1)
        #expect(sync.quarantined == 4)
        let reasons = try fixture.extranet.store.read { tx in
            try tx.db.rows(sql: "SELECT issues FROM quarantine ORDER BY id").map { $0[0] as String }
        }
        #expect(reasons.contains { $0.contains("max_document_size") })
        #expect(reasons.contains { $0.contains("does not start with %PDF-") })
        #expect(reasons.contains { $0.contains("not a path inside the folder") })
        #expect(reasons.contains { $0.contains("not a file in") })
        #expect(try fixture.jinhong.receive().applied == 1)
    }
}

/// The proof of flat memory: `ferry sync` and `ferry receive` as their own processes, as
/// `ferry bench documents` runs them, with a 200 MB scan and a 10 MB one.
@Suite struct LargeDocumentTests {
    @Test func a200MBScanArrivesByteIdenticalWithTheSamePeakMemoryAsA10MBOne() throws {
        func run(_ megabytes: Int) throws -> DocumentBenchmark.Result {
            var options = DocumentBenchmark.Options(directory: DemoTests.temporary("documents-large-\(megabytes)"), megabytes: megabytes,
                executable: CrashRecoveryTests.ferry)
            options.alsoBlob = true
            defer { try? FileManager.default.removeItem(at: options.directory) }
            return try DocumentBenchmark.run(options)
        }
        let small = try run(10)
        let large = try run(200)
        #expect(large.identical, "the 200 MB document differs at the target")
        #expect(large.documentBundles == 12)
        #expect(large.sync.peakMB < 100 && large.receive.peakMB < 100, "peak RSS \(large.sync.peakMB) / \(large.receive.peakMB) MB")
        // Twenty times the content, the same memory give or take a few buffers.
        #expect(large.sync.peakMB - small.sync.peakMB < 20, "sync: \(small.sync.peakMB) MB for 10 MB, \(large.sync.peakMB) MB for 200 MB")
        #expect(large.receive.peakMB - small.receive.peakMB < 20, "receive: \(small.receive.peakMB) MB for 10 MB, \(large.receive.peakMB) MB for 200 MB")
    }
}

/// Manifests beside bundles, for a gap that filters files by type and size.
@Suite struct BundleManifestTests {
    @Test func eachDroppedBundleHasASignedManifestNamingItsDocumentsAndNothingMore() throws {
        let fixture = try DocumentFixture("documents-manifest", channel: "bundle_bytes: 1048576, manifest: true")
        try fixture.pdf("deed-350203198001010013.pdf", size: 1_500_000)
        try fixture.export("batch.ndjson", [("BDC-0001", "deed-350203198001010013.pdf")])
        _ = try fixture.extranet.sync(flow: "certificates", flush: true)
        let gap = fixture.directory.appendingPathComponent("gap/extranet-to-jinhong")
        let files = try FileManager.default.contentsOfDirectory(atPath: gap.path)
        let bundles = files.filter { $0.hasSuffix(".bundle") }
        let manifests = files.filter { $0.hasSuffix(".manifest.json") }
        #expect(bundles.count == 3)
        #expect(Set(manifests.map { $0.replacingOccurrences(of: ".manifest.json", with: ".bundle") }) == Set(bundles))

        var carried: [(offset: Int64, length: Int64)] = []
        for name in manifests {
            let bytes = [UInt8](try Data(contentsOf: gap.appendingPathComponent(name)))
            let manifest = try BundleManifest.verify(bytes, trust: fixture.jinhong.trust)
            #expect(manifest["bundle"] == .string(name.replacingOccurrences(of: ".manifest.json", with: ".bundle")))
            guard case .list(let documents)? = manifest["documents"] else { continue }
            for case .object(let document) in documents {
                #expect(document["media_type"] == "application/pdf")
                #expect(document["size"] == 1_500_000)
                // The name is there for the filter, with the ID number in it masked.
                #expect(document["name"]?.text?.hasPrefix("deed-") == true)
                #expect(document["name"]?.text?.contains("350203198001010013") == false)
                if case .int(let offset)? = document["offset"], case .int(let length)? = document["length"] { carried.append((offset, length)) }
            }
            #expect(bytes.count < 2000, "a manifest carries no content")
            // One changed byte and the signature no longer holds.
            var altered = bytes
            altered[altered.count / 2] ^= 0x01
            #expect(throws: FerryError.self) { try BundleManifest.verify(altered, trust: fixture.jinhong.trust) }
        }
        #expect(carried.sorted { $0.offset < $1.offset }.map(\.length) == [1_048_576, 451_424])

        #expect(try fixture.jinhong.receive().applied == 1)
        // Manifests leave the transfer area with their bundles.
        #expect(try FileManager.default.contentsOfDirectory(atPath: gap.path).filter { $0.hasSuffix(".json") }.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: gap.appendingPathComponent("archive").path).filter { $0.hasSuffix(".manifest.json") }.count == 3)
    }
}

/// `ferry audit trace` follows a record's documents beside it, and a document on its own.
@Suite struct DocumentTraceTests {
    @Test func aRecordsTraceShowsItsDocumentsPathAndADigestTracesTheDocument() throws {
        let fixture = try DocumentFixture("documents-trace", channel: "bundle_bytes: 1048576")
        try fixture.pdf("deed.pdf", size: 1_500_000)
        try fixture.export("batch.ndjson", [("BDC-0001", "deed.pdf")])
        _ = try fixture.extranet.sync(flow: "certificates", flush: true)
        _ = try fixture.jinhong.receive()
        _ = try fixture.extranet.receive()
        let digest = try #require(try fixture.extranet.store.read { tx in try tx.db.value(String.self, sql: "SELECT digest FROM documents") })

        let record = try AuditTrace.trace(fixture.extranet.deployment, key: "BDC-0001")
        let documentHops = record.hops.filter { $0.detail.hasPrefix("document \(digest)") }
        #expect(documentHops.map(\.kind).contains("document.stored"))
        #expect(documentHops.map(\.kind).contains("document.reassembled"))
        // Both documents bundles, sealed on one side and received on the other.
        #expect(documentHops.filter { $0.kind == "sealed" }.count == 2)
        #expect(documentHops.filter { $0.kind == "received" }.count == 2)
        // The record's own path is still there, and the document arrives before it applies.
        let kinds = record.hops.map(\.kind)
        let reassembled = try #require(kinds.firstIndex(of: "document.reassembled"))
        let applied = try #require(kinds.firstIndex(of: "applied"))
        #expect(reassembled < applied)

        let document = try AuditTrace.trace(fixture.extranet.deployment, key: digest)
        #expect(Set(document.hops.map(\.kind)) == ["document.stored", "sealed", "received", "document.reassembled"])
        #expect(document.hops.count == documentHops.count)
        #expect(!document.hops.contains { $0.kind == "applied" })
    }
}

/// A one-way channel (a diode): no receipts and no resend requests, so the carousel
/// repeats documents bundles as it repeats records bundles.
@Suite struct OneWayDocumentTests {
    @Test func theCarouselsSecondCopyReplacesAChunkBundleLostTheFirstTime() throws {
        let fixture = try DocumentFixture("documents-one-way", channel: "bundle_bytes: 1048576, carousel: 2")
        let deed = try fixture.pdf("deed.pdf", size: 2_500_000)
        try fixture.export("batch.ndjson", [("BDC-0001", "deed.pdf")])
        _ = try fixture.extranet.sync(flow: "certificates", flush: true)
        let parts = try fixture.documentBundles()
        #expect(parts.count == 3)
        try FileManager.default.removeItem(at: try #require(try fixture.gapBundle(sequence: parts[1].sequence)))
        #expect(try fixture.jinhong.receive().applied == 0)
        // The next run drops the second copies; the lost part is among them.
        _ = try fixture.extranet.pack()
        let received = try fixture.jinhong.receive()
        #expect(received.applied == 1)
        #expect(try fixture.libraryFiles()["BDC-0001"]?.bytes == (try Data(contentsOf: deed)))
        #expect(try fixture.documentBundles().allSatisfy { $0.state == "broadcast" })
    }
}
