public import Foundation
public import Hummingbird
import HTTPTypes
import FerryCore

/// The auditors' and operators' web console: read-only pages (dashboard, audit search,
/// trace, dead letters, exports) and, for operators, re-drive and retry. A JSON API under
/// `/api/` backs the same views (docs/console.md).
///
/// Sessions are HttpOnly, SameSite=Strict cookies that expire; every POST needs the
/// session's CSRF token (form field `csrf` or header `X-CSRF-Token`). Logins, failed
/// logins and denials go to the audit log.
public struct WebConsole: Sendable {
    public struct Options: Sendable {
        public var node: String
        /// Adds `Secure` to the cookie: set when the console is served over TLS.
        public var secureCookies = false
        public var sessionLifetime: TimeInterval = 8 * 3600
        /// Peers whose `X-Forwarded-For` is believed (reverse proxies in front of the console,
        /// from the node's `tls.trusted_proxies`); every other peer is recorded as itself.
        public var trustedProxies: Set<String> = []

        public init(node: String) { self.node = node }
    }

    let options: Options
    let backend: any ConsoleBackend
    let sessions: ConsoleSessions
    static let cookie = "ferry_session"
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    public init(options: Options, backend: any ConsoleBackend) {
        self.options = options
        self.backend = backend
        self.sessions = ConsoleSessions(lifetime: options.sessionLifetime)
    }

    /// Adds the console's routes: the pages, the operators' actions and the JSON API.
    public func register(on router: Router<ConsoleRequestContext>) {
        registerPages(on: router)
        registerActions(on: router)
        registerAPI(on: router)
    }

    /// The stylesheet, logging in and out, and the read-only pages.
    func registerPages(on router: Router<ConsoleRequestContext>) {
        let console = self
        router.get("console.css") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=3600"],
                body: .init(byteBuffer: ByteBuffer(string: ConsolePage.style)))
        }
        router.get("login") { request, _ in
            console.html(ConsolePage.login(node: console.options.node, failed: false, next: Self.localPath(request.uri.queryParameters["next"].map(String.init))))
        }
        router.post("login") { request, context in try await console.login(request, context: context) }
        router.post("logout") { request, context in
            try await console.mutation(request, context: context, operatorOnly: false) { session, _ in
                await console.sessions.end(session.token)
                var response = Response(status: .seeOther, headers: [.location: "/login"])
                response.headers[.setCookie] = console.cookieHeader(value: "", maxAge: 0)
                return response
            }
        }
        router.get("/") { request, context in
            try await console.page(request, context: context) { session in ConsolePage.dashboard(try console.backend.dashboard(), session: session, node: console.options.node) }
        }
        router.get("audit") { request, context in
            try await console.page(request, context: context) { session in
                let filters = console.filters(request)
                return ConsolePage.audit(try console.backend.auditLog(filters), filters: filters, session: session, node: console.options.node)
            }
        }
        router.get("trace") { request, context in
            try await console.page(request, context: context) { session in
                let key = request.uri.queryParameters["key"].map(String.init) ?? ""
                return ConsolePage.trace(key.isEmpty ? nil : try console.backend.trace(key: key), key: key, session: session, node: console.options.node)
            }
        }
        router.get("dead") { request, context in
            try await console.page(request, context: context) { session in ConsolePage.deadLetters(try console.backend.deadLetters(), session: session, node: console.options.node) }
        }
        router.get("exports") { request, context in
            try await console.page(request, context: context) { session in ConsolePage.exports(session: session, node: console.options.node) }
        }
    }

    /// Operators' actions and export downloads from the pages: form POSTs.
    func registerActions(on router: Router<ConsoleRequestContext>) {
        let console = self
        router.post("dead/:id/redrive") { request, context in
            try await console.mutation(request, context: context, operatorOnly: true) { session, _ in
                guard let id = Int64(try context.parameters.require("id")) else { return console.text(.badRequest, "no such dead letter") }
                _ = try console.backend.redrive(deadLetter: id, actor: "console:\(session.user)")
                return Response(status: .seeOther, headers: [.location: "/dead"])
            }
        }
        router.post("bundles/:id/retry") { request, context in
            try await console.mutation(request, context: context, operatorOnly: true) { session, _ in
                _ = try console.backend.retry(bundle: try context.parameters.require("id"), actor: "console:\(session.user)")
                return Response(status: .seeOther, headers: [.location: "/dead"])
            }
        }
        router.post("export") { request, context in
            try await console.mutation(request, context: context, operatorOnly: false) { session, form in
                try await console.download(since: form["since"] ?? "", until: form["until"] ?? "", session: session, context: context)
            }
        }

    }

    /// The JSON API: the same views, cookie sessions, CSRF in a header for POSTs.
    func registerAPI(on router: Router<ConsoleRequestContext>) {
        let console = self
        router.get("api/session") { request, context in
            try await console.api(request, context: context) { session in .object(["user": .string(session.user), "role": .string(session.role.rawValue), "csrf": .string(session.csrf)]) }
        }
        router.get("api/dashboard") { request, context in try await console.api(request, context: context) { _ in try console.backend.dashboard() } }
        router.get("api/audit") { request, context in try await console.api(request, context: context) { _ in try console.backend.auditLog(console.filters(request)) } }
        router.get("api/trace") { request, context in
            try await console.api(request, context: context) { _ in try console.backend.trace(key: request.uri.queryParameters["key"].map(String.init) ?? "") }
        }
        router.get("api/dead") { request, context in try await console.api(request, context: context) { _ in try console.backend.deadLetters() } }
        router.post("api/dead/:id/redrive") { request, context in
            try await console.mutation(request, context: context, operatorOnly: true) { session, _ in
                guard let id = Int64(try context.parameters.require("id")) else { return console.json(.notFound, ["error": "no such dead letter"]) }
                return console.json(.ok, ["result": .string(try console.backend.redrive(deadLetter: id, actor: "console:\(session.user)"))])
            }
        }
        router.post("api/bundles/:id/retry") { request, context in
            try await console.mutation(request, context: context, operatorOnly: true) { session, _ in
                console.json(.ok, ["result": .string(try console.backend.retry(bundle: try context.parameters.require("id"), actor: "console:\(session.user)"))])
            }
        }
        router.post("api/export") { request, context in
            try await console.mutation(request, context: context, operatorOnly: false) { session, form in
                try await console.download(since: form["since"] ?? request.uri.queryParameters["since"].map(String.init) ?? "",
                    until: form["until"] ?? request.uri.queryParameters["until"].map(String.init) ?? "", session: session, context: context)
            }
        }
    }

    // MARK: sessions and guards

    /// The session the request's cookie names, while the user's role and password stay as
    /// they were at login; a changed or removed user's sessions end here, audited.
    func currentSession(_ request: Request) async throws -> ConsoleSessions.Session? {
        guard let header = request.headers[.cookie] else { return nil }
        let prefix = Array((Self.cookie + "=").utf8)
        for part in header.utf8.split(separator: UInt8(ascii: ";")) {
            let pair = Array(part.drop { $0 == 0x20 })
            guard pair.starts(with: prefix), let session = await sessions.session(String(decoding: pair.dropFirst(prefix.count), as: UTF8.self)) else { continue }
            guard try backend.userStamp(session.user) == session.stamp else {
                await sessions.end(user: session.user)
                try backend.audit(kind: "console.session-ended", actor: "console", details: ["user": .string(session.user), "reason": "the user's role or password changed, or the user was removed"])
                return nil
            }
            return session
        }
        return nil
    }

    func cookieHeader(value: String, maxAge: Int) -> String {
        "\(Self.cookie)=\(value); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(maxAge)" + (options.secureCookies ? "; Secure" : "")
    }

    func login(_ request: Request, context: ConsoleRequestContext) async throws -> Response {
        let address = client(request, context)
        if let refusal = crossSite(request) {
            try await auditOutsider("/login", reason: refusal, status: 403, address: address)
            return text(.forbidden, "this form must be sent from the console's own page")
        }
        let form = try await Self.form(request)
        let user = form["user"] ?? ""
        let next = Self.localPath(form["next"])
        let shown = Self.isUserName(user) ? user : "(not a user name: \(user.unicodeScalars.count) characters)"
        // No user has a name of another shape, so such names share one throttle key: 64 KiB
        // names must not each take memory in the throttle.
        let throttled = Self.isUserName(user) ? user : "(not a user name)"
        if await sessions.beginLogin(user: throttled, address: address) != nil {
            return try await loginFailed(next: next)
        }
        let role = try backend.authenticate(user: user, password: form["password"] ?? "")
        let lockouts = await sessions.endLogin(user: throttled, address: address, succeeded: role != nil)
        for lockout in lockouts {
            try backend.audit(kind: "console.login-locked", actor: "console", details: [
                "user": .string(shown), "address": .string(address), "locked": .string(lockout.key.hasPrefix("user:") ? "user" : "address"),
                "until": .string(Timestamp.format(lockout.until)), "refused_while_locked": .int(Int64(lockout.refusedWhileLocked)),
            ])
        }
        guard let role, let stamp = try backend.userStamp(user) else {
            try backend.audit(kind: "console.login-failed", actor: "console", details: ["user": .string(shown), "address": .string(address)])
            return try await loginFailed(next: next)
        }
        let session = await sessions.create(user: user, role: role, stamp: stamp)
        try backend.audit(kind: "console.login", actor: "console:\(user)", details: ["role": .string(role.rawValue), "address": .string(address)])
        var response = Response(status: .seeOther, headers: [.location: next])
        response.headers[.setCookie] = cookieHeader(value: session.token, maxAge: Int(options.sessionLifetime))
        return response
    }

    /// One answer for a wrong password, an unknown user and a locked one, after the same
    /// pause, so none of them tells a guesser more than the others.
    func loginFailed(next: String) async throws -> Response {
        try await Task.sleep(for: .milliseconds(500))
        var response = html(ConsolePage.login(node: options.node, failed: true, next: next))
        response.status = .unauthorized
        return response
    }

    /// A page for a logged-in user; others are sent to the login page.
    func page(_ request: Request, context: ConsoleRequestContext, _ body: (ConsoleSessions.Session) throws -> String) async throws -> Response {
        guard let session = try await currentSession(request) else {
            let next = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
            return Response(status: .seeOther, headers: [.location: "/login?next=" + (next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/")])
        }
        do { return html(try body(session)) } catch let error as FerryError {
            return html(ConsolePage.failure(error, session: session, node: options.node), status: .badRequest)
        }
    }

    func api(_ request: Request, context: ConsoleRequestContext, _ body: (ConsoleSessions.Session) throws -> Value) async throws -> Response {
        guard let session = try await currentSession(request) else { return json(.unauthorized, ["error": "log in first: POST /login"]) }
        do { return json(.ok, try body(session)) } catch let error as FerryError {
            return json(.badRequest, ["error": .string(error.message), "code": .string(error.code.rawValue)])
        }
    }

    /// A state-changing request: sent from the console's own pages (or by a non-browser
    /// client), a session, the session's CSRF token, and for operator actions the operator
    /// role. Every refusal is audited.
    func mutation(_ request: Request, context: ConsoleRequestContext, operatorOnly: Bool,
        _ body: (ConsoleSessions.Session, [String: String]) async throws -> Response) async throws -> Response
    {
        let isAPI = request.uri.path.hasPrefix("/api/")
        let address = client(request, context)
        // Whoever reaches the port chooses the path: a long one is audited as its route
        // (`/dead/{id}/redrive`), so one request cannot write 80 KB into the audit chain.
        let path = request.uri.path.utf8.count <= 128 ? request.uri.path : context.endpointPath ?? "(a long path)"
        if let refusal = crossSite(request) {
            try await auditOutsider(path, reason: refusal, status: 403, address: address)
            return isAPI ? json(.forbidden, ["error": "cross-site request refused"]) : text(.forbidden, "this form must be sent from the console's own page")
        }
        guard let session = try await currentSession(request) else {
            try await auditOutsider(path, reason: "no session", status: 401, address: address)
            return isAPI ? json(.unauthorized, ["error": "log in first"]) : Response(status: .seeOther, headers: [.location: "/login"])
        }
        let form = try await Self.form(request)
        let token = request.headers[Self.csrfHeader] ?? form["csrf"] ?? ""
        guard Self.equal(token, session.csrf) else {
            try backend.audit(kind: "console.denied", actor: "console:\(session.user)", details: ["path": .string(path), "reason": "csrf", "address": .string(address)])
            return isAPI ? json(.forbidden, ["error": "missing or wrong CSRF token"]) : text(.forbidden, "missing or wrong CSRF token: reload the page and try again")
        }
        guard !operatorOnly || session.role.mayOperate else {
            try backend.audit(kind: "console.denied", actor: "console:\(session.user)", details: ["path": .string(path), "reason": .string("role \(session.role.rawValue)"), "address": .string(address)])
            return isAPI ? json(.forbidden, ["error": "operators only"]) : text(.forbidden, "this needs the operator role")
        }
        do { return try await body(session, form) } catch let error as FerryError {
            return isAPI ? json(.badRequest, ["error": .string(error.message), "code": .string(error.code.rawValue)]) : text(.badRequest, error.description)
        }
    }

    func crossSite(_ request: Request) -> String? {
        RequestOrigin.crossSiteRefusal(origin: request.headers[.origin], fetchSite: request.headers[HTTPField.Name("Sec-Fetch-Site")!],
            authority: request.head.authority, tls: options.secureCookies)
    }

    /// Audits a refusal of a request without a session (anyone can send those): the first
    /// of each minute is written as it happens, with the counts held back since the last
    /// one, so a flood cannot fill the audit log (see `HTTPRefusals`).
    func auditOutsider(_ path: String, reason: String, status: Int, address: String) async throws {
        guard let summary = await sessions.noteRefusal(HTTPRefusal(reason: reason, status: status, client: address)) else { return }
        var details: [String: Value] = ["path": .string(path), "reason": .string(reason), "address": .string(address)]
        if !summary.heldBack.isEmpty {
            details["held_back"] = .object(summary.heldBack.mapValues { .int(Int64($0)) })
            details["held_back_addresses"] = .list(summary.heldBackClients.map(Value.string) + (summary.moreClients ? ["…"] : []))
        }
        try backend.audit(kind: "console.denied", actor: "console", details: details)
    }

    func client(_ request: Request, _ context: ConsoleRequestContext) -> String {
        RequestOrigin.client(peer: context.remoteAddress?.ipAddress, forwardedFor: request.headers[HTTPField.Name("X-Forwarded-For")!],
            trustedProxies: options.trustedProxies)
    }

    func download(since: String, until: String, session: ConsoleSessions.Session, context: ConsoleRequestContext) async throws -> Response {
        let file = try backend.export(since: since, until: until, actor: "console:\(session.user)")
        let body = try await FileIO(threadPool: .singleton).loadFile(path: file.path, context: context)
        return Response(status: .ok, headers: [
            .contentType: "application/x-ndjson", .contentDisposition: "attachment; filename=\"\(file.lastPathComponent)\"", .cacheControl: "no-store",
        ], body: body)
    }

    func filters(_ request: Request) -> [String: String] {
        var filters: [String: String] = [:]
        for name in ["since", "until", "flow", "system", "kind", "bundle", "key", "limit"] {
            if let value = request.uri.queryParameters[Substring(name)], !value.isEmpty { filters[name] = String(value) }
        }
        return filters
    }

    // MARK: helpers

    /// An `application/x-www-form-urlencoded` body (WHATWG URL §5.1), split on bytes: a
    /// `&` or `=` glued to a combining mark still separates fields.
    static func form(_ request: Request) async throws -> [String: String] {
        guard request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true else { return [:] }
        var request = request
        let buffer = try await request.collectBody(upTo: 64 << 10)
        var fields: [String: String] = [:]
        for pair in buffer.readableBytesView.split(separator: UInt8(ascii: "&")) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false).map { part in
                String(decoding: part.map { $0 == UInt8(ascii: "+") ? 0x20 : $0 }, as: UTF8.self).removingPercentEncoding ?? ""
            }
            if let name = parts.first { fields[name] = parts.count > 1 ? parts[1] : "" }
        }
        return fields
    }

    /// Where a login may send the browser: a path on this console, not `//host`, not
    /// `/\host`, nothing with spaces or controls a browser reads as elsewhere; `/` otherwise.
    static func localPath(_ next: String?) -> String {
        guard let next, next.utf8.first == UInt8(ascii: "/"), !next.hasPrefix("//"),
            next.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") })
        else { return "/" }
        return next
    }

    /// A console user name: 1 to 64 letters (any script), decimal digits, `.`, `_` or `-`,
    /// judged per Unicode scalar so no mark, control or bidi character can ride along.
    /// `ferry console user add` allows nothing else, and a failed login's name is echoed
    /// into the audit log only in this shape.
    public static func isUserName(_ text: String) -> Bool {
        let scalars = text.unicodeScalars
        return !scalars.isEmpty && scalars.count <= 64
            && scalars.allSatisfy { scalar in
                switch scalar.properties.generalCategory {
                case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .otherLetter, .modifierLetter, .decimalNumber: true
                default: scalar == "." || scalar == "_" || scalar == "-"
                }
            }
    }

    /// Compares without an early exit, so timing tells nothing about the token.
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count, !x.isEmpty else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    func html(_ page: String, status: HTTPResponse.Status = .ok) -> Response {
        // SecurityHeaders adds the Content-Security-Policy and the other headers.
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: page)))
    }

    func json(_ status: HTTPResponse.Status, _ value: Value) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: CanonicalJSON.encode(value))))
    }

    func json(_ status: HTTPResponse.Status, _ object: [String: Value]) -> Response { json(status, .object(object)) }

    func text(_ status: HTTPResponse.Status, _ message: String) -> Response { ConsoleServer.text(status, message) }
}
