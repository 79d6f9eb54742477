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

    /// Adds the console's routes.
    public func register(on router: Router<BasicRequestContext>) {
        let console = self
        router.get("login") { request, _ in
            console.html(ConsolePage.login(node: console.options.node, failed: false, next: request.uri.queryParameters["next"].map(String.init) ?? "/"))
        }
        router.post("login") { request, _ in try await console.login(request) }
        router.post("logout") { request, _ in
            try await console.mutation(request, operatorOnly: false) { session, _ in
                await console.sessions.end(session.token)
                var response = Response(status: .seeOther, headers: [.location: "/login"])
                response.headers[.setCookie] = console.cookieHeader(value: "", maxAge: 0)
                return response
            }
        }
        router.get("/") { request, _ in
            try await console.page(request) { session in ConsolePage.dashboard(try console.backend.dashboard(), session: session, node: console.options.node) }
        }
        router.get("audit") { request, _ in
            try await console.page(request) { session in
                let filters = console.filters(request)
                return ConsolePage.audit(try console.backend.auditLog(filters), filters: filters, session: session, node: console.options.node)
            }
        }
        router.get("trace") { request, _ in
            try await console.page(request) { session in
                let key = request.uri.queryParameters["key"].map(String.init) ?? ""
                return ConsolePage.trace(key.isEmpty ? nil : try console.backend.trace(key: key), key: key, session: session, node: console.options.node)
            }
        }
        router.get("dead") { request, _ in
            try await console.page(request) { session in ConsolePage.deadLetters(try console.backend.deadLetters(), session: session, node: console.options.node) }
        }
        router.get("exports") { request, _ in
            try await console.page(request) { session in ConsolePage.exports(session: session, node: console.options.node) }
        }
        router.post("dead/:id/redrive") { request, context in
            try await console.mutation(request, operatorOnly: true) { session, _ in
                guard let id = Int64(try context.parameters.require("id")) else { return console.text(.badRequest, "no such dead letter") }
                _ = try console.backend.redrive(deadLetter: id, actor: "console:\(session.user)")
                return Response(status: .seeOther, headers: [.location: "/dead"])
            }
        }
        router.post("bundles/:id/retry") { request, context in
            try await console.mutation(request, operatorOnly: true) { session, _ in
                _ = try console.backend.retry(bundle: try context.parameters.require("id"), actor: "console:\(session.user)")
                return Response(status: .seeOther, headers: [.location: "/dead"])
            }
        }
        router.post("export") { request, context in
            try await console.mutation(request, operatorOnly: false) { session, form in
                try await console.download(since: form["since"] ?? "", until: form["until"] ?? "", session: session, context: context)
            }
        }

        // The JSON API: the same views, cookie sessions, CSRF in a header for POSTs.
        router.get("api/session") { request, _ in
            try await console.api(request) { session in .object(["user": .string(session.user), "role": .string(session.role.rawValue), "csrf": .string(session.csrf)]) }
        }
        router.get("api/dashboard") { request, _ in try await console.api(request) { _ in try console.backend.dashboard() } }
        router.get("api/audit") { request, _ in try await console.api(request) { _ in try console.backend.auditLog(console.filters(request)) } }
        router.get("api/trace") { request, _ in
            try await console.api(request) { _ in try console.backend.trace(key: request.uri.queryParameters["key"].map(String.init) ?? "") }
        }
        router.get("api/dead") { request, _ in try await console.api(request) { _ in try console.backend.deadLetters() } }
        router.post("api/dead/:id/redrive") { request, context in
            try await console.mutation(request, operatorOnly: true) { session, _ in
                guard let id = Int64(try context.parameters.require("id")) else { return console.json(.notFound, ["error": "no such dead letter"]) }
                return console.json(.ok, ["result": .string(try console.backend.redrive(deadLetter: id, actor: "console:\(session.user)"))])
            }
        }
        router.post("api/bundles/:id/retry") { request, context in
            try await console.mutation(request, operatorOnly: true) { session, _ in
                console.json(.ok, ["result": .string(try console.backend.retry(bundle: try context.parameters.require("id"), actor: "console:\(session.user)"))])
            }
        }
        router.post("api/export") { request, context in
            try await console.mutation(request, operatorOnly: false) { session, form in
                try await console.download(since: form["since"] ?? request.uri.queryParameters["since"].map(String.init) ?? "",
                    until: form["until"] ?? request.uri.queryParameters["until"].map(String.init) ?? "", session: session, context: context)
            }
        }
    }

    // MARK: sessions and guards

    func currentSession(_ request: Request) async -> ConsoleSessions.Session? {
        guard let header = request.headers[.cookie] else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0] == Self.cookie { return await sessions.session(String(pair[1])) }
        }
        return nil
    }

    func cookieHeader(value: String, maxAge: Int) -> String {
        "\(Self.cookie)=\(value); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(maxAge)" + (options.secureCookies ? "; Secure" : "")
    }

    func login(_ request: Request) async throws -> Response {
        let form = try await Self.form(request)
        let user = form["user"] ?? ""
        // Only a path on this console: not //host, not /\host, nothing a browser reads as elsewhere.
        let next = form["next"].flatMap { $0.hasPrefix("/") && !$0.hasPrefix("//") && !$0.contains("\\") && $0.allSatisfy { !$0.isWhitespace && $0.asciiValue.map { $0 >= 0x20 } ?? true } ? $0 : nil } ?? "/"
        guard let role = try backend.authenticate(user: user, password: form["password"] ?? "") else {
            try backend.audit(kind: "console.login-failed", actor: "console", details: ["user": .string(String(user.prefix(64))), "host": .string(Self.peer(request))])
            // Slows guessing without locking the real user out.
            try await Task.sleep(for: .milliseconds(500))
            var response = html(ConsolePage.login(node: options.node, failed: true, next: next))
            response.status = .unauthorized
            return response
        }
        let session = await sessions.create(user: user, role: role)
        try backend.audit(kind: "console.login", actor: "console:\(user)", details: ["role": .string(role.rawValue), "host": .string(Self.peer(request))])
        var response = Response(status: .seeOther, headers: [.location: next])
        response.headers[.setCookie] = cookieHeader(value: session.token, maxAge: Int(options.sessionLifetime))
        return response
    }

    /// A page for a logged-in user; others are sent to the login page.
    func page(_ request: Request, _ body: (ConsoleSessions.Session) throws -> String) async throws -> Response {
        guard let session = await currentSession(request) else {
            let next = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
            return Response(status: .seeOther, headers: [.location: "/login?next=" + (next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/")])
        }
        do { return html(try body(session)) } catch let error as FerryError {
            return html(ConsolePage.failure(error, session: session, node: options.node), status: .badRequest)
        }
    }

    func api(_ request: Request, _ body: (ConsoleSessions.Session) throws -> Value) async throws -> Response {
        guard let session = await currentSession(request) else { return json(.unauthorized, ["error": "log in first: POST /login"]) }
        do { return json(.ok, try body(session)) } catch let error as FerryError {
            return json(.badRequest, ["error": .string(error.message), "code": .string(error.code.rawValue)])
        }
    }

    /// A state-changing request: a session, the session's CSRF token, and for operator
    /// actions the operator role. Every refusal is audited.
    func mutation(_ request: Request, operatorOnly: Bool, _ body: (ConsoleSessions.Session, [String: String]) async throws -> Response) async throws -> Response {
        let isAPI = request.uri.path.hasPrefix("/api/")
        guard let session = await currentSession(request) else {
            try backend.audit(kind: "console.denied", actor: "console", details: ["path": .string(request.uri.path), "reason": "no session", "host": .string(Self.peer(request))])
            return isAPI ? json(.unauthorized, ["error": "log in first"]) : Response(status: .seeOther, headers: [.location: "/login"])
        }
        let form = try await Self.form(request)
        let token = request.headers[Self.csrfHeader] ?? form["csrf"] ?? ""
        guard Self.equal(token, session.csrf) else {
            try backend.audit(kind: "console.denied", actor: "console:\(session.user)", details: ["path": .string(request.uri.path), "reason": "csrf"])
            return isAPI ? json(.forbidden, ["error": "missing or wrong CSRF token"]) : text(.forbidden, "missing or wrong CSRF token: reload the page and try again")
        }
        guard !operatorOnly || session.role.mayOperate else {
            try backend.audit(kind: "console.denied", actor: "console:\(session.user)", details: ["path": .string(request.uri.path), "reason": .string("role \(session.role.rawValue)")])
            return isAPI ? json(.forbidden, ["error": "operators only"]) : text(.forbidden, "this needs the operator role")
        }
        do { return try await body(session, form) } catch let error as FerryError {
            return isAPI ? json(.badRequest, ["error": .string(error.message), "code": .string(error.code.rawValue)]) : text(.badRequest, error.description)
        }
    }

    func download(since: String, until: String, session: ConsoleSessions.Session, context: BasicRequestContext) async throws -> Response {
        let file = try backend.export(since: since, until: until, actor: "console:\(session.user)")
        let body = try await FileIO(threadPool: .singleton).loadFile(path: file.path, context: context)
        return Response(status: .ok, headers: [
            .contentType: "application/x-ndjson", .contentDisposition: "attachment; filename=\"\(file.lastPathComponent)\"",
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

    static func form(_ request: Request) async throws -> [String: String] {
        guard request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true else { return [:] }
        var request = request
        let buffer = try await request.collectBody(upTo: 64 << 10)
        let text = String(buffer: buffer)
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            if let name = parts.first { fields[name] = parts.count > 1 ? parts[1] : "" }
        }
        return fields
    }

    /// Compares without an early exit, so timing tells nothing about the token.
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count, !x.isEmpty else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func peer(_ request: Request) -> String { request.head.authority ?? "?" }

    func html(_ page: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [
            .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
            HTTPField.Name("Content-Security-Policy")!: "default-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'",
            HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        ], body: .init(byteBuffer: ByteBuffer(string: page)))
    }

    func json(_ status: HTTPResponse.Status, _ value: Value) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: CanonicalJSON.encode(value))))
    }

    func json(_ status: HTTPResponse.Status, _ object: [String: Value]) -> Response { json(status, .object(object)) }

    func text(_ status: HTTPResponse.Status, _ message: String) -> Response { ConsoleServer.text(status, message) }
}
