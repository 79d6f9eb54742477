import Foundation
import Testing
@testable import FerryCore

/// Names from the topology reach lane names, paths, URLs, bundle headers and the auditor
/// console, so anything but a simple identifier is refused where it is written.
@Suite struct TopologyNameTests {
    /// Loads `text`; returns the error, which must be a located config error.
    func failure(_ text: String) throws -> (error: FerryError, at: FerryCore.SourceLocation?) {
        let fixture = try TopologyFixture()
        do {
            _ = try TopologyLoader.load(try fixture.write(text))
        } catch let error as FerryError {
            if case .file(let at)? = error.location { return (error, at) }
            return (error, nil)
        }
        Issue.record("a hostile name was accepted")
        return (FerryError("none", "none"), nil)
    }

    static let hostile = [
        "\u{600}<img src=x onerror=alert(1)>\u{301}", "a\"><script>", "flow name", "x\u{301}", "\u{202E}gnp", "ünïcode",
        "-dash-first", ".hidden", String(repeating: "a", count: 65), "",
    ]

    @Test(arguments: hostile) func aHostileFlowNameIsRefusedAtItsLineAndColumn(name: String) throws {
        let quoted = "\"" + name.unicodeScalars.map { $0 == "\"" ? "\\\"" : String($0) }.joined() + "\""
        let text = TopologyFixture.valid.replacingOccurrences(of: "name: things,", with: "name: \(quoted),")
        let (error, at) = try failure(text)
        #expect(error.code == .config)
        #expect(error.message.contains("flow name") && error.message.contains("not a simple identifier"), "\(error.message)")
        let line = TopologyFixture.line(of: "entity: Thing, from: source", in: text)
        #expect(at?.line == line)
        // The column is the name's value, after "name: " in the flow's line.
        let lineText = text.components(separatedBy: "\n")[line - 1]
        let column = lineText.distance(from: lineText.startIndex, to: try #require(lineText.range(of: quoted)).lowerBound) + 1
        #expect(at?.column == column, "\(String(describing: at)) in \(lineText)")
        // The message shows the name only in its escaped form: no markup, no marks.
        #expect(!error.description.unicodeScalars.contains { "<>\"".unicodeScalars.contains($0) || $0.value == 0x301 || $0.value == 0x600 })
    }

    @Test func hostileZoneNodeSystemAndEntityNamesAreRefusedWhereTheyAreDeclared() throws {
        let cases: [(kind: String, old: String, new: String, line: String)] = [
            ("zone", "  extranet: { title", "  \"ext<b>\": { title", "ext<b>"),
            ("node", "  ext-gw: { zone", "  \"ext-gw\u{301}\": { zone", "ext-gw\u{301}\": { zone"),
            ("system", "  source: { zone", "  \"so urce\": { zone", "so urce"),
            ("entity", "  Thing: entities", "  \"Thing&amp;\": entities", "Thing&amp;"),
        ]
        for item in cases {
            let text = TopologyFixture.valid.replacingOccurrences(of: item.old, with: item.new)
            let (error, at) = try failure(text)
            #expect(error.message.hasPrefix("\(item.kind) name"), "\(item.kind): \(error.message)")
            #expect(at?.line == TopologyFixture.line(of: item.line, in: text), "\(item.kind)")
            #expect(at?.column == 3, "\(item.kind): the key's column")
        }
    }

    @Test func namesFerryShipsWithAreIdentifiers() {
        for name in ["extranet", "jinhong", "extranet-gw", "applications-in", "TravelApplication", "a", "v1.2_x-y"] {
            #expect(OutsideText.isIdentifier(name), "\(name)")
        }
        #expect(!OutsideText.isIdentifier(String(repeating: "a", count: 65)))
        #expect(OutsideText.isIdentifier(String(repeating: "a", count: 64)))
    }
}
