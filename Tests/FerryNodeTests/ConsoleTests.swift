import Foundation
import GRDB
import Testing
import FerryTestSupport
import FerryCore
import FerryAudit
import FerryTransport
@testable import FerryNode
@testable import FerryOps

/// The web console over real HTTP, served by `ferry console` on the three-network demo:
/// who gets in, who may change what, CSRF, and that no page shows an ID number in clear.
@Suite(.serialized) struct ConsoleTests {
    final class Console: @unchecked Sendable {
        // @unchecked: set up once in init; only the process is touched in deinit.
        let process = Process()
        let port = TestPort.free()
        let client = HTTPClient(options: HTTPClient.Options())
        let config: String
        let directory: URL

        let node: String

        /// The demo's console for `node`, started after `prepare` has changed the demo.
        init(node: String = "jinhong-gw", prepare: (_ directory: URL, _ config: String) throws -> Void = { _, _ in }) throws {
            let demo = try AuditLogTests.demo()
            (directory, config, self.node) = (demo.directory, demo.config, node)
            try prepare(directory, config)
            try ConsoleUsers.add(try Deployment.load(config), node: node, user: "anna", role: "auditor", password: "auditor-passphrase-1")
            try ConsoleUsers.add(try Deployment.load(config), node: node, user: "otto", role: "operator", password: "operator-passphrase-1")
            process.executableURL = CrashRecoveryTests.ferry
            process.arguments = ["console", "--config", config, "--node", node, "--listen", "127.0.0.1:\(port)"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline, (try? client.perform(.init(url: url("/login"))))?.status != 200 { usleep(100_000) }
        }

        deinit {
            // Not started when `prepare` threw.
            guard process.isRunning else { return }
            process.terminate()
            process.waitUntilExit()
        }

        func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

        func get(_ path: String, cookie: String? = nil) throws -> HTTPClient.Response {
            try client.perform(.init(url: url(path), headers: cookie.map { ["Cookie: \($0)"] } ?? []))
        }

        func post(_ path: String, cookie: String?, form: [String: String] = [:], csrfHeader: String? = nil, headers extra: [String] = []) throws -> HTTPClient.Response {
            let body = form.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
            var headers = ["Content-Type: application/x-www-form-urlencoded"] + extra
            if let cookie { headers.append("Cookie: \(cookie)") }
            if let csrfHeader { headers.append("X-CSRF-Token: \(csrfHeader)") }
            return try client.perform(.init(method: "POST", url: url(path), headers: headers, body: .bytes(Array(body.utf8))))
        }

        /// Logs in; returns the session cookie and its CSRF token.
        func login(_ user: String, _ password: String) throws -> (cookie: String, csrf: String, setCookie: String) {
            let response = try post("/login", cookie: nil, form: ["user": user, "password": password, "next": "/"])
            let setCookie = response.header("set-cookie") ?? ""
            let cookie = String(setCookie.prefix { $0 != ";" })
            guard case .object(let session)? = try? CanonicalJSON.decode(try get("/api/session", cookie: cookie).body) else { return (cookie, "", setCookie) }
            return (cookie, session["csrf"]?.text ?? "", setCookie)
        }

        func audited(_ kind: String) throws -> [AuditEntry] {
            var filter = AuditTools.Filter()
            filter.node = node
            filter.kinds = [kind]
            return try AuditTools.log(try Deployment.load(config), filter: filter)
        }
    }

    @Test func onlyLoggedInUsersGetInAndEveryLoginIsAudited() throws {
        let console = try Console()
        let page = try console.get("/audit")
        #expect(page.status == 303 && page.header("location")?.hasPrefix("/login") == true)
        #expect(try console.get("/api/dashboard").status == 401)

        let wrong = try console.post("/login", cookie: nil, form: ["user": "anna", "password": "guess"])
        #expect(wrong.status == 401 && wrong.header("set-cookie") == nil)
        #expect(try console.audited("console.login-failed").count == 1)

        let anna = try console.login("anna", "auditor-passphrase-1")
        #expect(anna.setCookie.contains("HttpOnly") && anna.setCookie.contains("SameSite=Strict") && anna.setCookie.contains("Max-Age="), "\(anna.setCookie)")
        #expect(try console.get("/", cookie: anna.cookie).status == 200)
        #expect(try console.get("/api/dashboard", cookie: anna.cookie).status == 200)
        #expect(try console.audited("console.login").count == 1)
        #expect(try console.get("/api/dashboard", cookie: "ferry_session=forged").status == 401)
    }

    @Test func auditorsCannotMutateAndNobodyMutatesWithoutTheCSRFToken() throws {
        let console = try Console()
        let anna = try console.login("anna", "auditor-passphrase-1")
        let otto = try console.login("otto", "operator-passphrase-1")
        #expect(!anna.csrf.isEmpty && anna.csrf != otto.csrf)

        // An auditor with a valid token is refused by role.
        #expect(try console.post("/api/dead/1/redrive", cookie: anna.cookie, csrfHeader: anna.csrf).status == 403)
        #expect(try console.post("/dead/1/redrive", cookie: anna.cookie, form: ["csrf": anna.csrf]).status == 403)
        // An operator without the token, or with another session's, is refused too.
        #expect(try console.post("/api/dead/1/redrive", cookie: otto.cookie).status == 403)
        #expect(try console.post("/api/dead/1/redrive", cookie: otto.cookie, csrfHeader: anna.csrf).status == 403)
        #expect(try console.post("/logout", cookie: otto.cookie).status == 403)
        let denials = try console.audited("console.denied").map { $0.event.details["reason"]?.text ?? "" }
        #expect(denials.filter { $0.hasPrefix("role") }.count == 2 && denials.filter { $0 == "csrf" }.count == 3, "\(denials)")

        // With the role and the token the action runs (there is no dead letter 1: the backend says so).
        let allowed = try console.post("/api/dead/1/redrive", cookie: otto.cookie, csrfHeader: otto.csrf)
        #expect(allowed.status == 400 && allowed.excerpt.contains("no dead letter 1"), "\(allowed.status) \(allowed.excerpt)")

        // Auditors may download a signed export (a POST with the token), which verifies offline.
        let export = try console.post("/export", cookie: anna.cookie, form: ["csrf": anna.csrf, "since": "2000-01-01", "until": "2100-01-01"])
        #expect(export.status == 200 && export.header("content-disposition")?.contains("attachment") == true)
        let file = console.directory.appendingPathComponent("downloaded.audit")
        try Data(export.body).write(to: file)
        #expect(try AuditTools.verifyExports(try Deployment.load(console.config), files: [file]).first?.node == "jinhong-gw")

        #expect(try console.post("/logout", cookie: otto.cookie, form: ["csrf": otto.csrf]).status == 303)
        #expect(try console.get("/api/dashboard", cookie: otto.cookie).status == 401, "the session outlived its logout")
    }

    @Test func noPageShowsAnIDNumberInClear() throws {
        let console = try Console()
        let portal = try DatabaseQueue(path: console.directory.appendingPathComponent("data/portal.db").path)
        let people = try portal.read { db in try Row.fetchAll(db, sql: "SELECT app_no, id_card FROM applications") }
        let ids = people.map { $0["id_card"] as String }
        let application: String = people[3]["app_no"]
        let anna = try console.login("anna", "auditor-passphrase-1")
        var pages = ["/", "/audit", "/audit?limit=1000", "/dead", "/exports", "/trace?key=\(application)", "/trace?key=\(ids[0])",
            "/api/dashboard", "/api/audit?limit=1000", "/api/trace?key=\(application)", "/api/dead"]
        pages.append("/audit?key=\(ids[1])")
        for path in pages {
            let response = try console.get(path, cookie: anna.cookie)
            #expect(response.status == 200, "\(path): \(response.status)")
            let text = String(decoding: response.body, as: UTF8.self)
            #expect(!ids.contains { text.contains($0) }, "\(path) shows an ID number in clear")
        }
        let trace = String(decoding: try console.get("/trace?key=\(application)", cookie: anna.cookie).body, as: UTF8.self)
        #expect(trace.contains("valid") && !trace.contains("INVALID") && trace.contains("passport"), "the trace page lacks its hops")
    }
}
