import Foundation
import GRDB
import Testing
import FerryCore
import FerryTestSupport
import FerrySeal
@testable import FerryNode
@testable import FerryQueue

/// Signed e-licences (docs/documents.md, "Signed documents"): a target that requires a
/// signature applies a validly signed document and rejects, with the reason in the receipt
/// and the audit log, an unsigned one, one signed by a node it does not accept, and one
/// whose bytes changed.
@Suite struct DocumentSignatureTests {
    /// The outcome detail the sender learns from the receipt, per certificate.
    func outcomes(_ fixture: DocumentFixture) throws -> [String: (outcome: String, detail: String?)] {
        _ = try fixture.extranet.receive()
        return try fixture.extranet.store.read { tx in
            var out: [String: (String, String?)] = [:]
            for row in try tx.db.rows(sql: "SELECT record_key, outcome, detail FROM delivery_outcomes") { out[row[0]] = (row[1], row[2]) }
            return out
        }
    }

    func rejections(_ fixture: DocumentFixture) throws -> [String] {
        try fixture.jinhong.store.read { tx in
            try tx.db.rows(sql: "SELECT details FROM audit WHERE kind = 'document.rejected'").map { $0[0] as String }
        }
    }

    @Test func aSignedCertificateVerifiesAndApplies() throws {
        let fixture = try DocumentFixture("documents-signed", extranetNode: "sign_documents: true", libraryScan: "require_signature: [extranet-gw]")
        let deed = try fixture.pdf("deed.pdf", size: 50_000)
        try fixture.export("batch.ndjson", [("BDC-0001", "deed.pdf")])
        _ = try fixture.extranet.sync(flow: "certificates", flush: true)
        #expect(try fixture.jinhong.receive().applied == 1)
        #expect(try fixture.libraryFiles()["BDC-0001"]?.bytes == (try Data(contentsOf: deed)))
        #expect(try rejections(fixture).isEmpty)
        // Read again, the unchanged row carries the same signature and is not sent again.
        try fixture.export("batch-2.ndjson", [("BDC-0001", "deed.pdf")])
        #expect(try fixture.extranet.sync(flow: "certificates", flush: true).unchanged == 1)
    }

    @Test func anUnsignedDocumentIsRejectedWhereASignatureIsRequired() throws {
        let fixture = try DocumentFixture("documents-unsigned", libraryScan: "require_signature: [extranet-gw]")
        try fixture.pdf("deed.pdf", size: 50_000)
        try fixture.export("batch.ndjson", [("BDC-0001", "deed.pdf")])
        _ = try fixture.extranet.sync(flow: "certificates", flush: true)
        let received = try fixture.jinhong.receive()
        #expect(received.applied == 0)
        #expect(received.rejected == 1)
        #expect(try fixture.libraryFiles().isEmpty)
        let outcome = try #require(try outcomes(fixture)["BDC-0001"])
        #expect(outcome.outcome == "rejected")
        #expect(outcome.detail?.contains("carries no signature") == true)
        #expect(try rejections(fixture).count == 1)
    }

    @Test func aSignatureByANodeTheTargetDoesNotAcceptIsRejected() throws {
        let fixture = try DocumentFixture("documents-wrong-signer", extranetNode: "sign_documents: true", libraryScan: "require_signature: [jinhong-gw]")
        try fixture.pdf("deed.pdf", size: 50_000)
        try fixture.export("batch.ndjson", [("BDC-0001", "deed.pdf")])
        _ = try fixture.extranet.sync(flow: "certificates", flush: true)
        #expect(try fixture.jinhong.receive().rejected == 1)
        #expect(try outcomes(fixture)["BDC-0001"]?.detail?.contains("signed by extranet-gw, which this target does not accept") == true)
        #expect(try rejections(fixture).first?.contains("does not accept") == true)
    }

    /// Whichever comes first, the records or the document's last part, both records end rejected.
    @Test(arguments: [true, false]) func aDocumentWhoseBytesChangedOnTheWayIsRejectedWithItsRecords(recordsFirst: Bool) throws {
        let fixture = try DocumentFixture("documents-flipped", channel: "bundle_bytes: 1048576")
        try fixture.pdf("deed.pdf", size: 2_500_000)
        try fixture.export("batch.ndjson", [("BDC-0001", "deed.pdf"), ("BDC-0002", "deed.pdf")])
        _ = try fixture.extranet.sync(flow: "certificates", flush: true)
        // Hold back all but the first part, flip one byte of what arrived, then let the rest in.
        let gap = fixture.directory.appendingPathComponent("gap/extranet-to-jinhong")
        let aside = fixture.directory.appendingPathComponent("aside")
        try FileManager.default.createDirectory(at: aside, withIntermediateDirectories: true)
        let parts = try fixture.documentBundles().map(\.sequence)
        var held: [(url: URL, isRecords: Bool)] = []
        for url in try FileManager.default.contentsOfDirectory(at: gap, includingPropertiesForKeys: nil) where url.pathExtension == "bundle" {
            let sequence = try BundleReader.inspect(url).header.sequence
            guard sequence != parts[0] else { continue }
            try FileManager.default.moveItem(at: url, to: aside.appendingPathComponent(url.lastPathComponent))
            held.append((aside.appendingPathComponent(url.lastPathComponent), !parts.contains(sequence)))
        }
        _ = try fixture.jinhong.receive()
        let partial = try #require(try FileManager.default.contentsOfDirectory(at: fixture.jinhong.blobs.directory.appendingPathComponent("partial"),
            includingPropertiesForKeys: nil).first)
        let handle = try FileHandle(forUpdating: partial)
        try handle.seek(toOffset: 1000)
        let byte = try #require(try handle.read(upToCount: 1)?.first)
        try handle.seek(toOffset: 1000)
        try handle.write(contentsOf: [byte ^ 0x01])
        try handle.close()
        for wave in [held.filter { $0.isRecords == recordsFirst }, held.filter { $0.isRecords != recordsFirst }] {
            for file in wave { try FileManager.default.moveItem(at: file.url, to: gap.appendingPathComponent(file.url.lastPathComponent)) }
            #expect(try fixture.jinhong.receive().applied == 0)
        }
        #expect(try fixture.libraryFiles().isEmpty)
        let outcomes = try outcomes(fixture)
        #expect(outcomes["BDC-0001"]?.outcome == "rejected")
        #expect(outcomes["BDC-0002"]?.outcome == "rejected")
        #expect(outcomes["BDC-0001"]?.detail?.contains("was refused on arrival") == true)
        let rejected = try rejections(fixture)
        #expect(rejected.count == 1)
        #expect(rejected.first?.contains("\"records\":\(recordsFirst ? 2 : 0)") == true)
    }
}

/// The signature rule itself, without files or stores.
@Suite struct DocumentSigningRuleTests {
    static let issuer = try! NodeKey.generate(node: "registry-gw")
    static let other = try! NodeKey.generate(node: "other-gw")
    static let trust = TrustStore([issuer.publicKey, other.publicKey])

    func signed(by key: NodeKey = issuer) throws -> DocumentRef {
        var reference = DocumentRef(digest: "sha256:" + String(repeating: "ab", count: 32), size: 1234, mediaType: MediaType.pdf, name: "deed.pdf")
        reference.signature = try DocumentSigning.sign(reference, with: key)
        return reference
    }

    @Test func aValidSignatureByAnAcceptedIssuerPasses() throws {
        #expect(DocumentSigning.refusal(try signed(), issuers: ["registry-gw"], trust: Self.trust) == nil)
    }

    @Test func anAlteredDigestOrSizeNoLongerVerifies() throws {
        var altered = try signed()
        altered.digest = "sha256:" + String(repeating: "ab", count: 31) + "ac"
        #expect(DocumentSigning.refusal(altered, issuers: ["registry-gw"], trust: Self.trust)?.contains("does not verify") == true)
        var resized = try signed()
        resized.size += 1
        #expect(DocumentSigning.refusal(resized, issuers: ["registry-gw"], trust: Self.trust)?.contains("does not verify") == true)
    }

    @Test func aSignatureWithAKeyOutsideTheTrustStoreIsRefused() throws {
        let stranger = try NodeKey.generate(node: "registry-gw")
        #expect(DocumentSigning.refusal(try signed(by: stranger), issuers: ["registry-gw"], trust: Self.trust)?.contains("trust store does not hold") == true)
    }

    @Test func aSignerClaimingAnotherNodesNameIsRefused() throws {
        var forged = try signed(by: Self.other)
        forged.signature?.signer = "registry-gw"
        #expect(DocumentSigning.refusal(forged, issuers: ["registry-gw"], trust: Self.trust) != nil)
    }

    @Test func aMissingSignatureIsRefused() throws {
        var bare = try signed()
        bare.signature = nil
        #expect(DocumentSigning.refusal(bare, issuers: ["registry-gw"], trust: Self.trust)?.contains("no signature") == true)
    }

    @Test func sm2SignaturesVerifyToo() throws {
        let key = try NodeKey.generate(node: "registry-gw", suite: "sm2-sm4-sm3")
        var reference = DocumentRef(digest: "sm3:" + String(repeating: "0f", count: 32), size: 9, mediaType: MediaType.ofd, name: "licence.ofd")
        reference.signature = try DocumentSigning.sign(reference, with: key)
        #expect(reference.signature?.algorithm == "sm2-sm3")
        #expect(DocumentSigning.refusal(reference, issuers: ["registry-gw"], trust: TrustStore([key.publicKey])) == nil)
    }
}

/// The receiving node's `receive_hook`, as a virus scan would use it.
@Suite struct ReceiveHookTests {
    @Test func aDocumentTheScanRefusesIsRejectedWithItsRecordsAndTheCleanOneApplies() throws {
        // A stand-in for clamdscan: refuses any file holding the EICAR marker, and says why.
        let script = DemoTests.temporary("documents-hook-scan").appendingPathComponent("scan.sh")
        try FileManager.default.createDirectory(at: script.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("""
            if grep -q EICAR-STANDARD-ANTIVIRUS-TEST-FILE "$1"; then echo "$1: Eicar-Signature FOUND"; exit 1; fi
            exit 0
            """.utf8).write(to: script)
        let fixture = try DocumentFixture("documents-hook", jinhongNode: "receive_hook: [sh, \(script.path)]")
        try fixture.pdf("clean.pdf", size: 30_000)
        try Data("%PDF-1.4\nX5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*\n".utf8)
            .write(to: fixture.directory.appendingPathComponent("data/registry-export/infected.pdf"))
        try fixture.export("batch.ndjson", [("BDC-0001", "clean.pdf"), ("BDC-0002", "infected.pdf")])
        _ = try fixture.extranet.sync(flow: "certificates", flush: true)
        let received = try fixture.jinhong.receive()
        #expect(received.applied == 1)
        #expect(received.rejected == 1)
        #expect(try fixture.libraryFiles().keys.sorted() == ["BDC-0001"])
        let refused = try fixture.jinhong.store.read { tx in
            try tx.db.rows(sql: "SELECT state, detail FROM inbox WHERE record_key = 'BDC-0002'").map { ($0[0] as String, $0[1] as String?) }
        }
        #expect(refused.first?.0 == "rejected")
        #expect(refused.first?.1?.contains("receive_hook exited with status 1") == true)
        let rejected = try fixture.jinhong.store.read { tx in
            try tx.db.rows(sql: "SELECT details FROM audit WHERE kind = 'document.rejected'").map { $0[0] as String }
        }
        #expect(rejected.count == 1)
        #expect(rejected.first?.contains("Eicar-Signature FOUND") == true)
        // The refused file is not kept in the blob store.
        #expect(try fixture.jinhong.store.read { tx in try tx.db.value(String.self, sql: "SELECT state FROM documents WHERE state = 'rejected'") } == "rejected")
    }

    /// A scanner that cannot run decides nothing: intake stops with the reason, and no
    /// record is rejected.
    @Test func aHookThatCannotRunStopsIntakeWithoutRejectingAnything() throws {
        let fixture = try DocumentFixture("documents-hook-missing", jinhongNode: "receive_hook: [/nonexistent/ferry-scanner]")
        try fixture.pdf("clean.pdf", size: 30_000)
        try fixture.export("batch.ndjson", [("BDC-0001", "clean.pdf")])
        _ = try fixture.extranet.sync(flow: "certificates", flush: true)
        do {
            _ = try fixture.jinhong.receive()
            Issue.record("intake went on without its scanner")
        } catch let error as FerryError {
            #expect(error.code.rawValue == "document.hook-unavailable")
        }
        #expect(try fixture.libraryFiles().isEmpty)
        let rejected = try fixture.jinhong.store.read { tx in try tx.db.value(Int.self, sql: "SELECT count(*) FROM inbox WHERE state = 'rejected'") }
        #expect(rejected == 0)
    }
}
