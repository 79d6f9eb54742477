import Foundation
import Testing
import FerryTestSupport
import FerryCore
import FerryTransport
@testable import FerryNode
@testable import FerryOps

/// Who stays logged in, how fast a password can be guessed, where a login comes from, and
/// what every answer tells a browser (issue 16), over real HTTP against `ferry console`.
@Suite(.serialized) struct ConsoleSessionTests {
    typealias Console = ConsoleTests.Console

    @Test func changingARolePasswordOrUserEndsThatUsersSessions() throws {
        let console = try Console()
        let otto = try console.login("otto", "operator-passphrase-1")
        let anna = try console.login("anna", "auditor-passphrase-1")
        // Downgraded, with a new password: the operator session is gone before it can act.
        try ConsoleUsers.add(try Deployment.load(console.config), node: "jinhong-gw", user: "otto", role: "auditor", password: "auditor-passphrase-2")
        #expect(try console.get("/api/dashboard", cookie: otto.cookie).status == 401)
        #expect(try console.post("/api/dead/1/redrive", cookie: otto.cookie, csrfHeader: otto.csrf).status == 401)
        #expect(try console.get("/api/dashboard", cookie: anna.cookie).status == 200, "another user's session ended too")
        // Removed: the session ends, and so does the login.
        try ConsoleUsers.remove(try Deployment.load(console.config), node: "jinhong-gw", user: "anna")
        #expect(try console.get("/", cookie: anna.cookie).status == 303)
        #expect(try console.post("/login", cookie: nil, form: ["user": "anna", "password": "auditor-passphrase-1"]).status == 401)
        #expect(try console.post("/login", cookie: nil, form: ["user": "otto", "password": "operator-passphrase-1"]).status == 401)
        let again = try console.login("otto", "auditor-passphrase-2")
        let session = try CanonicalJSON.decode(try console.get("/api/session", cookie: again.cookie).body)
        #expect(session == .object(["user": "otto", "role": "auditor", "csrf": .string(again.csrf)]))
        let ended = try console.audited("console.session-ended").map { $0.event.details["user"]?.text ?? "" }
        #expect(ended.sorted() == ["anna", "otto"], "\(ended)")
        #expect(try console.audited("console.user-removed").count == 1)
    }

    /// Thirty guesses at once, then the right password: refused, with one answer for all.
    @Test func guessingIsThrottledAndLockoutsAreAudited() throws {
        let console = try Console()
        let answers = Locked<[(Int, [UInt8])]>([])
        DispatchQueue.concurrentPerform(iterations: 30) { index in
            let client = HTTPClient(options: HTTPClient.Options())
            let body = Array("user=anna&password=guess-\(index)".utf8)
            if let response = try? client.perform(.init(method: "POST", url: console.url("/login"),
                headers: ["Content-Type: application/x-www-form-urlencoded"], body: .bytes(body)))
            {
                answers.update { $0.append((response.status, response.body)) }
            }
        }
        let all = answers.value
        #expect(all.count == 30 && all.allSatisfy { $0.0 == 401 })
        #expect(Set(all.map(\.1)).count == 1, "a locked account answers differently from a wrong password")
        let right = try console.post("/login", cookie: nil, form: ["user": "anna", "password": "auditor-passphrase-1"])
        #expect(right.status == 401 && right.header("set-cookie") == nil, "the right password got through straight after a guessing run")
        #expect(try console.audited("console.login-failed").count == 5, "only the free attempts reached the password check")
        let locks = try console.audited("console.login-locked")
        #expect(locks.count == 2 && Set(locks.compactMap { $0.event.details["locked"]?.text }) == ["user", "address"])
        #expect(locks.allSatisfy { $0.event.details["address"]?.text == "127.0.0.1" })
    }

    @Test func postsFromOtherSitesAreRefusedLoginIncluded() throws {
        let console = try Console()
        let form = ["user": "anna", "password": "auditor-passphrase-1"]
        let foreign = try console.post("/login", cookie: nil, form: form, headers: ["Origin: http://evil.example"])
        #expect(foreign.status == 403 && foreign.header("set-cookie") == nil)
        let crossSite = try console.post("/login", cookie: nil, form: form, headers: ["Sec-Fetch-Site: cross-site"])
        #expect(crossSite.status == 403 && crossSite.header("set-cookie") == nil)
        let own = try console.post("/login", cookie: nil, form: form,
            headers: ["Origin: http://127.0.0.1:\(console.port)", "Sec-Fetch-Site: same-origin"])
        #expect(own.status == 303 && own.header("set-cookie") != nil)
        let anna = try console.login("anna", "auditor-passphrase-1")
        let logout = try console.post("/logout", cookie: anna.cookie, form: ["csrf": anna.csrf], headers: ["Origin: http://evil.example"])
        #expect(logout.status == 403)
        #expect(try console.get("/api/dashboard", cookie: anna.cookie).status == 200)
        let reasons = try console.audited("console.denied").compactMap { $0.event.details["reason"]?.text }
        // Anyone can send these, so one entry a minute is written; the rest are counted into the next.
        #expect(reasons.filter { $0.hasPrefix("cross-site") }.count == 1, "\(reasons)")
        for _ in 0..<50 { _ = try console.post("/api/dead/1/redrive", cookie: nil) }
        #expect(try console.audited("console.denied").count == 1, "a flood of refused requests filled the audit log")
    }

    /// The audit log records the socket's peer, not the Host header; `X-Forwarded-For`
    /// counts only from a proxy the config lists.
    @Test func loginsAreRecordedFromThePeerAddress() throws {
        let plain = try Console()
        _ = try plain.post("/login", cookie: nil, form: ["user": "anna", "password": "wrong-password-1"],
            headers: ["Host: localhost:\(plain.port)", "X-Forwarded-For: 203.0.113.7"])
        let failed = try plain.audited("console.login-failed").first?.event.details
        #expect(failed?["address"]?.text == "127.0.0.1" && failed?["host"] == nil, "\(String(describing: failed))")
        // DNS rebinding: a name that is not loopback is refused before anything else.
        let rebound = try plain.post("/login", cookie: nil, form: ["user": "anna", "password": "auditor-passphrase-1"],
            headers: ["Host: evil.example:\(plain.port)", "Origin: http://evil.example:\(plain.port)", "Sec-Fetch-Site: same-origin"])
        #expect(rebound.status == 421 && rebound.header("set-cookie") == nil)
        #expect(try plain.get("/login").status == 200)

        let proxied = try Console { _, config in
            let text = try String(contentsOfFile: config, encoding: .utf8)
                .replacingOccurrences(of: "jinhong-gw:  { zone: jinhong,", with: "jinhong-gw:  { trusted_proxies: [127.0.0.1], zone: jinhong,")
            try Data(text.utf8).write(to: URL(fileURLWithPath: config))
        }
        _ = try proxied.post("/login", cookie: nil, form: ["user": "anna", "password": "wrong-password-1"],
            headers: ["X-Forwarded-For: 198.51.100.1, 203.0.113.7"])
        #expect(try proxied.audited("console.login-failed").first?.event.details["address"]?.text == "203.0.113.7")
    }

    /// A search bound that is not a time is refused, not read as "everything" or "nothing".
    @Test func auditSearchRefusesBoundsThatAreNotTimes() throws {
        let console = try Console()
        let anna = try console.login("anna", "auditor-passphrase-1")
        for query in ["until=zzz", "since=2026-13-45", "since=../../.."] {
            let page = try console.get("/audit?\(query)", cookie: anna.cookie)
            #expect(page.status == 400 && String(decoding: page.body, as: UTF8.self).contains("is not a UTC time"), "\(query)")
            #expect(try console.get("/api/audit?\(query)", cookie: anna.cookie).status == 400, "\(query)")
        }
        let day = try console.get("/api/audit?since=2000-01-01&until=2100-01-01%2000:00:00", cookie: anna.cookie)
        guard case .object(let answer) = try CanonicalJSON.decode(day.body), case .list(let entries)? = answer["entries"] else {
            Issue.record("no entries in \(day.status)")
            return
        }
        #expect(day.status == 200 && !entries.isEmpty)
        #expect(try AuditTools.bound("2026-11-24", "since") == "2026-11-24T00:00:00")
        #expect(try AuditTools.bound("2026-11-24 09:30:00Z", "since") == "2026-11-24T09:30:00")
    }

    @Test func everyAnswerCarriesTheSecurityHeaders() throws {
        let console = try Console()
        let anna = try console.login("anna", "auditor-passphrase-1")
        let export = try console.post("/export", cookie: anna.cookie, form: ["csrf": anna.csrf, "since": "2000-01-01", "until": "2100-01-01"])
        #expect(export.status == 200 && export.header("cache-control") == "no-store")
        for response in [try console.get("/login"), try console.get("/", cookie: anna.cookie), try console.get("/api/dashboard", cookie: anna.cookie),
            try console.get("/api/dashboard"), try console.get("/console.css"), try console.get("/no-such-page"), export]
        {
            #expect(response.header("x-content-type-options") == "nosniff" && response.header("referrer-policy") == "no-referrer")
        }
        let page = try console.get("/audit", cookie: anna.cookie)
        let policy = page.header("content-security-policy") ?? ""
        for directive in ["default-src 'none'", "style-src 'self'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'"] {
            #expect(policy.contains(directive), "\(policy)")
        }
        #expect(!policy.contains("unsafe-inline"))
        #expect(page.header("cache-control") == "no-store")
    }
}

extension ConsoleSessionTests {
    /// `/healthz` needs no login: when a flow fails it names the check, never the path or
    /// the error text, which stay in the log.
    @Test func healthzNamesTheFailingCheckAndNothingElse() throws {
        let directory = DemoTests.temporary("healthz")
        _ = try Scaffold.create(in: directory)
        let config = directory.appendingPathComponent("ferry.yaml")
        let text = try String(contentsOf: config, encoding: .utf8).replacingOccurrences(of: "\"*/5 * * * *\"", with: "\"@every 1s\"")
        try Data(text.utf8).write(to: config)
        let portal = directory.appendingPathComponent("data/portal.db")
        try? FileManager.default.removeItem(at: portal)
        try FileManager.default.createDirectory(at: portal, withIntermediateDirectories: true)
        let port = TestPort.free()
        let process = Process()
        process.executableURL = CrashRecoveryTests.ferry
        process.arguments = ["run", "--config", config.path, "--node", "extranet-gw", "--poll", "0.5", "--listen", "127.0.0.1:\(port)"]
        let log = directory.appendingPathComponent("run.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        defer { kill(process.processIdentifier, SIGKILL) }
        let client = HTTPClient(options: HTTPClient.Options())
        var answer: HTTPClient.Response?
        // Generous: the whole suite runs beside it on two cores.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, process.isRunning {
            answer = try? client.perform(.init(url: "http://127.0.0.1:\(port)/healthz"))
            if answer?.status == 503 { break }
            usleep(200_000)
        }
        let body = String(decoding: answer?.body ?? [], as: UTF8.self)
        let stderr = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(answer?.status == 503 && body == "unhealthy: flow applications-in failed; see the node's log\n", "\(body) — node log: \(stderr.suffix(600))")
        #expect(!body.contains(directory.path) && !body.contains("portal.db"))
        #expect(answer?.header("x-content-type-options") == "nosniff")
        #expect((try? client.perform(.init(url: "http://127.0.0.1:\(port)/metrics")))?.header("x-content-type-options") == "nosniff")
    }
}

/// A value shared by the threads of one test.
final class Locked<Value>: @unchecked Sendable {
    // @unchecked: every access holds `lock`.
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value { lock.withLock { stored } }
    func update(_ body: (inout Value) -> Void) { lock.withLock { body(&stored) } }
}
