import FerryQueue
import Foundation
import GRDB
import Testing
import FerryTestSupport
import FerryCore
import FerryAudit
import FerrySeal
@testable import FerryNode
@testable import FerryOps

/// Files in a gap directory are named and written by whoever can reach it. A `.bundle` file
/// under a name Ferry never writes, or a bundle whose header carries markup, is quarantined
/// and audited without its text reaching the audit log or the reason file raw.
@Suite struct HostileGapFileTests {
    static let payload = "\u{600}<img src=x onerror=alert(1)>\u{301}"

    @Test(arguments: StoreKind.allCases) func foreignNamesAndHostileHeadersAreQuarantinedWithInertReasons(_ kind: StoreKind) throws {
        let fixture = try TwoZoneFixture("hostile-gap", store: kind)
        try DemoTests.seedPortal(fixture.directory, count: 5, seed: 4)
        let sync = try fixture.extranet.sync(flow: "applications-in", flush: true)
        let gap = fixture.directory.appendingPathComponent("gap/extranet-to-jinhong")
        let genuine = URL(fileURLWithPath: try #require(sync.bundles.first).file)
        let bytes = [UInt8](try Data(contentsOf: genuine))
        // The genuine bundle's bytes under hostile names, and hostile headers under hash names.
        let foreign = ["\(Self.payload).bundle", "\"><style>tr{display:none}.bundle"]
        for name in foreign { try Data(bytes).write(to: gap.appendingPathComponent(name)) }
        for (index, field) in ["lane", "sender"].enumerated() {
            let value = field == "lane" ? "extranet→\(Self.payload)" : Self.payload
            let forged = try HostileUploadTests.rewrite(bytes, field: field, value: value)
            try Data(forged).write(to: gap.appendingPathComponent(String(repeating: "\(index)f", count: 32) + ".bundle"))
        }

        let report = try fixture.jinhong.receive()
        #expect(report.bundlesAccepted == 1 && report.applied == 5)
        #expect(report.bundlesRejected == 4)
        for line in report.rejections { HostileUploadTests.expectInert(line, "rejection") }
        let rejected = try fixture.jinhong.store.read { tx in try AuditLog.entries(tx, kind: .rejected) }
        #expect(Set(rejected.compactMap { $0.event.details["code"]?.text }) == ["bundle.bad-name", "bundle.malformed"])
        #expect(rejected.contains { $0.event.details["file"]?.text?.hasPrefix("\\u{600}\\u{3C}img") == true })
        for entry in try fixture.jinhong.store.read({ tx in try AuditLog.entries(tx) }) {
            for text in HostileUploadTests.texts(entry.value) { HostileUploadTests.expectInert(text, "audit entry \(entry.sequence)") }
        }

        // Every one of them left the transfer area; each reason file is inert.
        let left = try FileManager.default.contentsOfDirectory(atPath: gap.path).filter { $0.hasSuffix(".bundle") }
        #expect(left.isEmpty, "\(left)")
        let quarantine = gap.appendingPathComponent("quarantine")
        let reasons = try FileManager.default.contentsOfDirectory(atPath: quarantine.path).filter { $0.hasSuffix(".reason.txt") }
        #expect(reasons.count == 4)
        for reason in reasons {
            // (The reason file's own name repeats the bundle's; only its content is shown.)
            HostileUploadTests.expectInert(try String(contentsOf: quarantine.appendingPathComponent(reason), encoding: .utf8), reason)
        }
        // Set aside once: a second receive finds nothing to report.
        #expect(try fixture.jinhong.receive().bundlesRejected == 0)
    }
}
