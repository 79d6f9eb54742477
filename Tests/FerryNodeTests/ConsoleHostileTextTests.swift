import Foundation
import FerryTestHTML
import GRDB
import Logging
import Testing
import FerryCore
import FerryQueue
@testable import FerrySeal
@testable import FerryNode
@testable import FerryOps

/// Every way outside text reaches the auditor console (issue 16), each vector carrying the
/// grapheme-cluster trick (U+0600 before `<`, U+0301 after `>` and `"`): a source record's
/// key, a CSV source file's name, a bundle file name and a forged bundle's header in the
/// gap, a dead letter's reason, a failed login's user name and `Host`, and every search
/// input. Every page and API answer is parsed with libxml2's HTML parser or the JSON
/// parser; no element or attribute may appear that the console did not write.
@Suite(.serialized) struct ConsoleHostileTextTests {
    /// Markup that the CSP alone did not stop: a style that hides rows, a refresh, a base.
    static let payload = HostileText.clusterPayload
        + "\"\u{301} data-ferry-injected=\"1\u{600}'<style>tr{display:none}</style>\u{301}<meta http-equiv=refresh content=0;url=//evil.example>"
        + "\u{600}<base href=//evil.example/>\u{301}"
    /// The same without `/`, which a file name cannot hold.
    static let filePayload = payload.replacingUTF8("/", with: "")
    /// Elements and attributes that only injected markup would bring.
    static let foreignElements: Set<String> = ["img", "style", "script", "base", "iframe", "object", "embed", "svg"]
    static let foreignAttributes: Set<String> = ["onerror", "data-ferry-injected", "http-equiv", "src"]

    @Test func everyPageAndAnswerShowsHostileTextAsInertText() throws {
        let console = try ConsoleTests.Console(node: "extranet-gw") { directory, config in try Self.inject(directory, config) }
        // Unauthenticated vectors first: a failed login's user name and Host header.
        let failed = try console.post("/login", cookie: nil, form: ["user": Self.payload, "password": "wrong-password-1"])
        #expect(failed.status == 401)
        // A Host that is not loopback never reaches the console (DNS-rebinding defence).
        let hosted = try console.post("/login", cookie: nil, form: ["user": "anna", "password": "wrong-password-1"],
            headers: ["Host: \(Self.filePayload)"])
        #expect(hosted.status == 421 && !String(decoding: hosted.body, as: UTF8.self).contains("<"))
        let anna = try console.login("anna", "auditor-passphrase-1")
        let query = Self.payload.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let filters = ["kind", "flow", "system", "bundle", "key"].map { "\($0)=\(query)" }.joined(separator: "&")
        // Bounds that are not times are refused with an error page, which must be inert too.
        let bounds = ["since", "until"].map { "\($0)=\(query)" }.joined(separator: "&")
        let pages = ["/", "/audit", "/audit?limit=1000", "/audit?\(filters)", "/trace?key=\(query)", "/dead", "/exports"]
        for path in pages + ["/login?next=\(query)", "/audit?\(bounds)&\(filters)"] {
            let response = try console.get(path, cookie: path.hasPrefix("/login") ? nil : anna.cookie)
            #expect(response.status == (path.contains("since=") ? 400 : 200), "\(path): \(response.status)")
            #expect(response.header("x-content-type-options") == "nosniff" && response.header("referrer-policy") == "no-referrer")
            #expect(response.header("content-security-policy")?.contains("base-uri 'none'") == true, "\(path)")
            try Self.expectInert(String(decoding: response.body, as: UTF8.self), page: path)
        }
        for path in ["/api/dashboard", "/api/audit?limit=1000", "/api/audit?\(filters)", "/api/trace?key=\(query)", "/api/dead", "/api/session",
            "/api/audit?\(bounds)"]
        {
            let response = try console.get(path, cookie: anna.cookie)
            #expect(response.status == (path.contains("since=") ? 400 : 200), "\(path): \(response.status)")
            #expect(response.header("content-type")?.hasPrefix("application/json") == true, "\(path)")
            #expect(response.header("x-content-type-options") == "nosniff", "\(path)")
            #expect((try? CanonicalJSON.decode(response.body)) != nil, "\(path) is not JSON")
        }

        // The vectors did reach the pages, as text: the test is not passing on empty pages.
        let audit = try HTMLTree(String(decoding: try console.get("/audit?limit=1000", cookie: anna.cookie).body, as: UTF8.self))
        let text = audit.all("main").first?.text ?? ""
        // Details are cut at 160 characters: the file name's start is there, as text.
        #expect(text.contains("checkpoint={\"complete\":true,\"file\":\"" + HostileText.clusterPayload), "the CSV file's name is not on /audit")
        #expect(text.contains("console.login-failed") && !text.contains(Self.payload), "a failed login's name is echoed")
        let searched = try HTMLTree(String(decoding: try console.get("/audit?\(filters)", cookie: anna.cookie).body, as: UTF8.self))
        let values = searched.all("input").filter { $0.attributes["name"] == "flow" }.compactMap { $0.attributes["value"] }
        #expect(values == [Self.payload], "the search box does not hold the search text")
        let dead = try HTMLTree(String(decoding: try console.get("/dead", cookie: anna.cookie).body, as: UTF8.self))
        #expect(dead.all("main").first?.text.contains(HostileText.clusterPayload) == true, "the dead letter's reason is not on /dead")
    }

    /// No element or attribute that the console does not write: the page's markup is the
    /// console's own, whatever the data was.
    static func expectInert(_ html: String, page: String) throws {
        let tree = try HTMLTree(html)
        let foreign = tree.elements.map(\.name).filter(foreignElements.contains)
        #expect(foreign.isEmpty, "\(page): injected elements \(foreign)")
        let attributes = tree.elements.flatMap(\.attributes.keys).filter(foreignAttributes.contains)
        #expect(attributes.isEmpty, "\(page): injected attributes \(attributes)")
        let links = tree.all("link").compactMap { $0.attributes["href"] }
        #expect(tree.all("meta").count == 2 && links == ["/console.css"], "\(page): \(tree.all("meta").count) meta elements, links \(links)")
        #expect(!tree.elements.contains { $0.attributes["style"] != nil }, "\(page): an inline style, which the policy would block")
    }

    /// Puts each vector into extranet-gw's store by the path a real system or peer would use.
    static func inject(_ directory: URL, _ config: String) throws {
        // A CSV source whose file is named with the payload, holding a record whose key is it.
        var yaml = try String(contentsOf: URL(fileURLWithPath: config), encoding: .utf8)
        yaml = yaml.replacingOccurrences(of: "\nflows:\n", with: """

              uploads:
                zone: extranet
                level: municipal
                adapter: csv
                options: { folder: data/uploads }
                maps:
                  TravelApplication: { file: Mappings/foreign-affairs/uploads.yaml }

            flows:
              - { name: uploads-to-jinhong, entity: TravelApplication, from: uploads, to: [approval] }

            """)
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: config))
        let mappings = directory.appendingPathComponent("Mappings/foreign-affairs")
        let mapping = try String(contentsOf: mappings.appendingPathComponent("portal.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "system: portal", with: "system: uploads").replacingOccurrences(of: "mapping: portal/", with: "mapping: uploads/")
        try Data(mapping.utf8).write(to: mappings.appendingPathComponent("uploads.yaml"))
        let uploads = directory.appendingPathComponent("data/uploads")
        try FileManager.default.createDirectory(at: uploads, withIntermediateDirectories: true)
        let csv = "app_no,applicant_name,id_card,sex,employer_uscc,destinations,depart_on,return_on,purpose,updated_at\r\n"
            + String(decoding: CSVLine.encode([payload, "王伟", "350203198001010013", "M", "91350200MA2YH12349", "AU", "2026-03-01", "2026-03-10", payload, "2026-02-01 09:30:00"]), as: UTF8.self)
        try Data(csv.utf8).write(to: uploads.appendingPathComponent(filePayload + ".csv"))
        // A portal application whose number is the payload.
        let portal = try DatabaseQueue(path: directory.appendingPathComponent("data/portal.db").path)
        try portal.write { db in
            try db.execute(sql: """
                INSERT INTO applications SELECT ?, applicant_name, id_card, sex, employer_uscc, destinations, depart_on, return_on, ?, '2030-01-01 00:00:00'
                FROM applications LIMIT 1
                """, arguments: [payload, payload])
        }
        // In the return gap: a file named with the payload, and a bundle whose header names a hostile lane and sender.
        let gap = directory.appendingPathComponent("gap/jinhong-to-extranet")
        try Data("not a bundle".utf8).write(to: gap.appendingPathComponent(filePayload + ".bundle"))
        let header = Array(#"{"format":"ferry-bundle","id":"\#(String(repeating: "ab", count: 32))","kind":"records","sender":"\#(payload)","lane":"\#(payload)"}"#.utf8)
        let forged = BundleLayout.magic + BundleLayout.be16(BundleLayout.version) + BundleLayout.be32(UInt32(header.count)) + header + Array(repeating: 0, count: 64)
        try Data(forged).write(to: gap.appendingPathComponent(String(repeating: "cd", count: 32) + ".bundle"))

        let node = try Node(deployment: try Deployment.load(config), name: "extranet-gw", logger: Logger(label: "test"))
        _ = try node.sync(flow: "applications-to-jinhong", flush: true)
        _ = try node.sync(flow: "uploads-to-jinhong", flush: true)
        _ = try node.receive()
        // A sink's error that quotes a record value, as the apply stage records it.
        try node.store.write { tx in
            try tx.deadLetters.add(stage: "apply", flow: "status-to-extranet", bundle: nil, inboxID: nil, subject: payload,
                reason: "portal: UNIQUE constraint failed on value '\(payload)'", position: nil, attempts: 5)

        }
    }
}
