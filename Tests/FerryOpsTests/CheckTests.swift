import Foundation
import Testing
import FerryTestSupport
import FerryCore
import FerrySeal
@testable import FerryNode
@testable import FerryOps

@Suite struct CheckTests {
    @Test func aScaffoldedDeploymentPassesCheckUnchanged() throws {
        let directory = TemporaryDirectory.url("init")
        _ = try Scaffold.create(in: directory)
        let report = try Deployment.load(directory.appendingPathComponent("ferry.yaml").path).check()
        #expect(report.passed)
        #expect(report.testsRun >= 4)
        #expect(report.checked.contains { $0.hasPrefix("private key of jinhong-gw") })
    }

    @Test func initRefusesANonEmptyDirectory() throws {
        let directory = TemporaryDirectory.url("init")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: directory.appendingPathComponent("notes.txt"))
        #expect(throws: FerryError.self) { try Scaffold.create(in: directory) }
        #expect(try String(contentsOf: directory.appendingPathComponent("notes.txt"), encoding: .utf8) == "keep me")
    }

    @Test func aBrokenMappingIsReportedAtItsLine() throws {
        let directory = TemporaryDirectory.url("init")
        _ = try Scaffold.create(in: directory)
        let mapping = directory.appendingPathComponent("Mappings/foreign-affairs/approval.yaml")
        let text = try String(contentsOf: mapping, encoding: .utf8)
        try Data(text.replacingOccurrences(of: "gender.gbt2261", with: "gender.gbt9999").utf8).write(to: mapping)
        do {
            _ = try Deployment.load(directory.appendingPathComponent("ferry.yaml").path).check()
            Issue.record("a broken mapping passed check")
        } catch let error as FerryError {
            #expect(error.message.contains("no column 'gbt9999'"))
            guard case .file(let at)? = error.location else {
                Issue.record("unlocated")
                return
            }
            #expect(at.file.hasSuffix("approval.yaml"))
            #expect(at.line == text.components(separatedBy: "\n").firstIndex { $0.contains("gender.gbt2261") }.map { $0 + 1 })
        }
    }

    @Test func aFailingInlineTestFailsCheck() throws {
        let directory = TemporaryDirectory.url("init")
        _ = try Scaffold.create(in: directory)
        let mapping = directory.appendingPathComponent("Mappings/foreign-affairs/portal.yaml")
        let text = try String(contentsOf: mapping, encoding: .utf8)
        try Data(text.replacingOccurrences(of: "destinations: [AUS, USA]", with: "destinations: [AUS, GBR]").utf8).write(to: mapping)
        let report = try Deployment.load(directory.appendingPathComponent("ferry.yaml").path).check()
        #expect(!report.passed)
        #expect(report.failures.count == 1)
        #expect(report.failures[0].message.contains("destinations"))
    }

    @Test func aFlowThatWritesThroughAReadOnlyMappingFailsCheck() throws {
        let directory = TemporaryDirectory.url("init")
        _ = try Scaffold.create(in: directory)
        let mapping = directory.appendingPathComponent("Mappings/foreign-affairs/approval.yaml")
        let text = try String(contentsOf: mapping, encoding: .utf8)
        try Data(text.replacingOccurrences(of: "entity: TravelApplication\n", with: "entity: TravelApplication\ndirections: [read]\n").utf8).write(to: mapping)
        let report = try Deployment.load(directory.appendingPathComponent("ferry.yaml").path).check()
        #expect(!report.passed)
        let failure = try #require(report.failures.first { $0.message.contains("needs mapping approval/TravelApplication to write") })
        #expect(failure.location?.description.contains("ferry.yaml:") == true, "reported at the flow's line")
    }

    @Test func aDigestKeyIsMadeOnceKeptSecretAndCheckedByItsId() throws {
        let directory = TemporaryDirectory.url("init")
        _ = try Scaffold.create(in: directory)
        let file = directory.appendingPathComponent("keys/digest.key")
        let key = try DigestKey.generate(algorithm: "hmac-sm3")
        try key.write(to: file)
        #expect(throws: FerryError.self) { try key.write(to: file) }
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        let config = directory.appendingPathComponent("ferry.yaml")
        // ferry init made one already; point the deployment at this one instead.
        try Data(try String(contentsOf: config, encoding: .utf8).replacingOccurrences(of: "digest_key: keys/records.digest", with: "digest_key: keys/digest.key").utf8).write(to: config)
        let deployment = try Deployment.load(config.path)
        let report = try deployment.check()
        #expect(report.passed)
        #expect(report.checked.contains("digest key \(key.id) (hmac-sm3), mode 0600"))
        #expect(try deployment.digester()?.algorithm == .hmacSM3)
        #expect(!report.checked.joined().contains(hex(key.secret)), "the secret never shows")

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file.path)
        #expect(throws: FerryError.self) { try DigestKey.load(file) }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        let text = try String(contentsOf: file, encoding: .utf8)
        try Data(text.replacingOccurrences(of: "secret: " + hex(key.secret), with: "secret: " + String(repeating: "ab", count: 32)).utf8).write(to: file)
        do {
            _ = try DigestKey.load(file)
            Issue.record("an altered digest key loaded")
        } catch let error as FerryError {
            #expect(error.message.contains("key-id does not match"))
        }
    }
}
