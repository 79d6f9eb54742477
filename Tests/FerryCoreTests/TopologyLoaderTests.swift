import Foundation
import Testing
@testable import FerryCore

@Suite struct TopologyLoaderTests {
    @Test func loadsAValidTopologyWithLanesBothWays() throws {
        let fixture = try TopologyFixture()
        let topology = try TopologyLoader.load(try fixture.write(TopologyFixture.valid))
        #expect(topology.zones.map(\.name) == ["extranet", "jinhong"])
        #expect(topology.system(named: "target")?.level == .provincial)
        let out = try #require(topology.lane(from: "extranet", to: "jinhong"))
        let back = try #require(topology.lane(from: "jinhong", to: "extranet"))
        #expect(out.directory.lastPathComponent == "out")
        #expect(back.directory.lastPathComponent == "back")
        #expect(out.name == "extranet→jinhong")
        #expect(topology.flow(named: "things")?.mode == .incremental)
    }

    /// Loads `text` and returns the error, which must be located in the topology file.
    func failure(_ text: String) throws -> FerryError {
        let fixture = try TopologyFixture()
        let path = try fixture.write(text)
        do {
            _ = try TopologyLoader.load(path)
        } catch let error as FerryError {
            return error
        }
        Issue.record("expected an error")
        return FerryError("none", "none")
    }

    func location(_ error: FerryError) -> FerryCore.SourceLocation? {
        if case .file(let at)? = error.location { return at }
        return nil
    }

    @Test func unknownSystemInAFlowIsLocatedAtTheFlow() throws {
        let text = TopologyFixture.valid.replacingOccurrences(of: "to: [target]", with: "to: [targte]")
        let error = try failure(text)
        #expect(error.message.contains("unknown system 'targte'"))
        #expect(location(error)?.line == TopologyFixture.line(of: "name: things", in: text))
        #expect(location(error)?.file.hasSuffix("ferry.yaml") == true)
        #expect(error.hint?.contains("target") == true)
    }

    @Test func aFlowAgainstAOneWayChannelNamesTheMissingDirection() throws {
        let text = TopologyFixture.valid
            .replacingOccurrences(of: ", return: gap/back", with: "")
            .replacingOccurrences(of: "from: source, to: [target]", with: "from: target, to: [source]")
        let error = try failure(text)
        #expect(error.message.contains("crosses from jinhong to extranet but no channel goes that way"))
        #expect(location(error)?.line == TopologyFixture.line(of: "name: things", in: text))
    }

    @Test func aMissingMappingFileIsReported() throws {
        let text = TopologyFixture.valid.replacingOccurrences(of: "maps/target.yaml", with: "maps/nowhere.yaml")
        let error = try failure(text)
        #expect(error.message.contains("nowhere.yaml"))
        #expect(location(error)?.line == TopologyFixture.line(of: "target: { zone", in: text))
    }

    @Test func aDuplicateFlowNameIsReportedAtTheSecond() throws {
        let text = TopologyFixture.valid + "\n  - { name: things, entity: Thing, from: source, to: [target] }\n"
        let error = try failure(text)
        #expect(error.message.contains("duplicate flow name 'things'"))
        #expect(location(error)?.line == text.components(separatedBy: "\n").count - 1)
    }

    @Test func aMisspelledKeySuggestsTheRightOne() throws {
        let text = TopologyFixture.valid.replacingOccurrences(of: "level: municipal, adapter", with: "levl: municipal, adapter")
        let error = try failure(text)
        #expect(error.message.contains("unknown key 'levl'"))
        #expect(error.hint == "did you mean 'level'?")
        let at = try #require(location(error))
        #expect(at.line == TopologyFixture.line(of: "source: { zone", in: text))
        #expect(at.column > 1)
    }

    @Test func yamlSyntaxErrorsCarryLineAndColumn() throws {
        let error = try failure("zones:\n  a: { title: x\nnodes: {}\n")
        #expect(error.message.hasPrefix("YAML syntax"))
        #expect(location(error)?.line == 3)
    }

    @Test func anUnknownSuiteListsTheSupportedOnes() throws {
        let text = TopologyFixture.valid.replacingOccurrences(of: "return: gap/back }", with: "return: gap/back, suite: rot13 }")
        let error = try failure(text)
        #expect(error.message.contains("unknown suite 'rot13'"))
        #expect(error.hint?.contains("x25519-aes256gcm-ed25519") == true)
    }

    @Test func aBadCronScheduleIsCaught() throws {
        let text = TopologyFixture.valid.replacingOccurrences(of: "\"*/5 * * * *\"", with: "every five minutes")
        let error = try failure(text)
        #expect(error.message.contains("not a cron expression"))
    }

    @Test func twoNodesInOneZoneAreRefused() throws {
        let text = TopologyFixture.valid.replacingOccurrences(of: "zone: jinhong,  store", with: "zone: extranet,  store")
        let error = try failure(text)
        #expect(error.message.contains("zone extranet has two nodes"))
    }

    @Test func aReconcileFanOutIsOneWhoseLevelsReachTheLeafRanges() throws {
        let fixture = try TopologyFixture()
        let flow = "to: [target], schedule: \"*/5 * * * *\""
        let four = TopologyFixture.valid.replacingOccurrences(of: flow, with: flow + ", reconcile: { fan_out: 4 }")
        #expect(try TopologyLoader.load(try fixture.write(four)).flow(named: "things")?.reconcileFanOut == 4)
        #expect(try TopologyLoader.load(try fixture.write(TopologyFixture.valid)).flow(named: "things")?.reconcileFanOut == 16)

        let three = TopologyFixture.valid.replacingOccurrences(of: flow, with: flow + ", reconcile: { fan_out: 3 }")
        let error = try failure(three)
        #expect(error.message.contains("fan_out is 2, 4, 8, 16 or 64, not 3"), "\(error.message)")
        #expect(location(error)?.line == TopologyFixture.line(of: "name: things", in: three))
        #expect(error.hint?.contains("16 is the default") == true)
    }

    @Test func entityOptionsOverrideSystemOptions() throws {
        let fixture = try TopologyFixture()
        let text = TopologyFixture.valid.replacingOccurrences(
            of: "maps: { Thing: maps/source.yaml }", with: "maps: { Thing: { file: maps/source.yaml, options: { table: other, cursor: ts } } }")
        let topology = try TopologyLoader.load(try fixture.write(text))
        let options = try #require(topology.system(named: "source")).options(for: "Thing")
        #expect(try options["table"]?.string("table") == "other")
        #expect(try options["cursor"]?.string("cursor") == "ts")
        #expect(try options["path"]?.string("path") == "a.db")
    }
}

/// Two nodes in one store would interleave their audit chains beyond repair.
@Suite struct SharedStoreTests {
    @Test(arguments: [
        ("sqlite:state/a.db", "sqlite:state/a.db"),
        ("\"postgres://f@h/d?schema=x\"", "\"postgres://f@h/d?schema=x&password_env=P\""),
    ])
    func twoNodesInOneStoreAreRefused(_ first: String, _ second: String) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-shared-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for name in ["a", "b"] { try Data("key".utf8).write(to: directory.appendingPathComponent("\(name).pub")) }
        let yaml = """
            zones: { za: {}, zb: {} }
            nodes:
              a: { zone: za, store: \(first), key: a.key }
              b: { zone: zb, store: \(second), key: b.key }
            trust: { a: a.pub, b: b.pub }
            """
        let file = directory.appendingPathComponent("ferry.yaml")
        try Data(yaml.utf8).write(to: file)
        let refused = #expect(throws: FerryError.self) {
            let topology = try TopologyLoader.parse(try ConfigNode.load(file: file), file: file.path, baseDirectory: directory)
            try TopologyValidator.validate(topology)
        }
        #expect(refused?.message.contains("have the same store") == true, "\(String(describing: refused))")
    }
}
