public import Foundation
public import FerryCore

extension HTTPAdapter {
    static let optionKeys: Set<String> = [
        "url", "items", "paging", "page_size", "page_param", "size_param", "first_page", "offset_param", "limit_param", "cursor_param",
        "next_cursor", "since_param", "cursor", "write", "method", "record_url", "headers", "bearer_env", "bearer_file", "user",
        "password_env", "password_file", "ca", "cert", "key", "proxy", "timeout", "connect_timeout", "retries", "retry_wait",
        "retry_max_wait", "rate_limit", "keyset", "after_param", "success", "message", "auth_codes", "documents", "upload", "document_url",
    ]

    /// Parses `options:` of a system with `adapter: http`.
    public static func options(_ node: ConfigNode, system: String, environment: [String: String] = ProcessInfo.processInfo.environment,
        baseDirectory: URL) throws -> Options
    {
        let what = "options of system \(system)"
        try node.rejectUnknownKeys(optionKeys, in: what)
        let urlNode = try node.require("url", in: what)
        let url = try urlNode.string("url")
        try checkURL(url, node: urlNode)
        var options = Options(url: url)
        let fields = OptionFields(node: node)
        // Read in this fixed order so that options with several faults always report the same one first.
        try readReading(fields, into: &options)
        try readKeyset(node, into: &options)
        try readAnswerRules(node, into: &options)
        try readWriting(fields, url: url, into: &options)
        try readCredentials(fields, environment: environment, baseDirectory: baseDirectory, into: &options)
        try readConnection(fields, baseDirectory: baseDirectory, into: &options)
        try readRetries(fields, into: &options)
        return options
    }

    /// Where records sit in an answer, how pages are asked for, and the incremental cursor.
    static func readReading(_ fields: OptionFields, into options: inout Options) throws {
        options.items = try fields.path("items")
        options.paging = try fields.choice("paging", Paging.self) ?? .none
        options.pageSize = try fields.positive("page_size")
        options.pageParameter = try fields.text("page_param") ?? options.pageParameter
        options.sizeParameter = try fields.text("size_param") ?? options.sizeParameter
        if let first = fields.node["first_page"] { options.firstPage = try first.int("first_page") }
        options.offsetParameter = try fields.text("offset_param") ?? options.offsetParameter
        options.limitParameter = try fields.text("limit_param") ?? options.limitParameter
        options.cursorParameter = try fields.text("cursor_param") ?? options.cursorParameter
        options.nextCursor = try fields.path("next_cursor") ?? options.nextCursor
        options.sinceParameter = try fields.text("since_param")
        options.cursorField = try fields.text("cursor")
        if options.sinceParameter != nil, options.cursorField == nil, let field = fields.node["since_param"] {
            throw field.error("since_param needs cursor: the record field whose largest value is sent next time")
        }
    }

    /// How records are written: one request per record or a batch, the method, and the
    /// per-record URL (a path is resolved against `url`'s origin).
    static func readWriting(_ fields: OptionFields, url: String, into options: inout Options) throws {
        options.write = try fields.choice("write", WriteMode.self) ?? .record
        if let field = fields.node["method"] {
            options.method = try field.string("method").uppercased()
            guard ["PUT", "POST", "PATCH"].contains(options.method) else { throw field.error("method is PUT, POST or PATCH") }
        }
        if let field = fields.node["record_url"] {
            let address = try field.string("record_url")
            options.recordURL = address.hasPrefix("/") ? origin(of: url) + address : address
            try checkURL(options.recordURL ?? "", node: field)
        }
        options.documents = try fields.node["documents"]?.strings("documents") ?? []
        options.upload = try fields.choice("upload", Upload.self) ?? .multipart
        if let field = fields.node["document_url"] {
            let address = try field.string("document_url")
            options.documentURL = address.hasPrefix("/") ? origin(of: url) + address : address
            try checkURL(options.documentURL ?? "", node: field)
        }
        if options.upload == .raw, options.documentURL == nil, let field = fields.node["upload"] {
            throw field.error("upload: raw needs document_url: where each document is PUT, like /files/{digest}")
        }
    }

    /// Extra headers, and the bearer token or basic user and password. Secrets come from the
    /// environment or a file only, never from the topology, which every node shares.
    static func readCredentials(
        _ fields: OptionFields, environment: [String: String], baseDirectory: URL, into options: inout Options
    ) throws {
        let node = fields.node
        for entry in try node["headers"]?.entries("headers") ?? [] {
            guard entry.key.lowercased() != "authorization" else {
                throw entry.value.error("credentials do not belong in headers", hint: "use bearer_env or bearer_file, or user with password_env")
            }
            options.headers.append("\(entry.key): \(try entry.value.string(entry.key))")
        }
        options.bearer = try SecretOption.read(node, "bearer", environment: environment, baseDirectory: baseDirectory)
        options.user = try fields.text("user")
        options.password = try SecretOption.read(node, "password", environment: environment, baseDirectory: baseDirectory)
        if options.password != nil, options.user == nil, let field = node["password_env"] ?? node["password_file"] {
            throw field.error("a password needs user: for basic authentication")
        }
    }

    /// TLS files (relative to the topology's directory), proxy and timeouts.
    static func readConnection(_ fields: OptionFields, baseDirectory: URL, into options: inout Options) throws {
        func file(_ key: String) throws -> String? {
            try fields.text(key).map { URL(fileURLWithPath: $0, relativeTo: baseDirectory).standardizedFileURL.path }
        }
        options.client.caBundle = try file("ca")
        options.client.clientCertificate = try file("cert")
        options.client.clientKey = try file("key")
        if (options.client.clientCertificate == nil) != (options.client.clientKey == nil), let field = fields.node["cert"] ?? fields.node["key"] {
            throw field.error("cert and key go together: the client certificate and its private key")
        }
        options.client.proxy = try fields.text("proxy")
        options.client.timeout = try fields.positive("timeout") ?? options.client.timeout
        options.client.connectTimeout = try fields.positive("connect_timeout") ?? options.client.connectTimeout
    }

    /// Retries with their waits, and the request rate limit.
    static func readRetries(_ fields: OptionFields, into options: inout Options) throws {
        if let field = fields.node["retries"] {
            options.retries = try field.int("retries")
            guard options.retries >= 0 else { throw field.error("retries must be 0 or more") }
        }
        options.retryWait = try fields.seconds("retry_wait") ?? options.retryWait
        options.retryMaxWait = try fields.seconds("retry_max_wait") ?? options.retryMaxWait
        if let field = fields.node["rate_limit"] {
            guard let limit = Double(try field.string("rate_limit")), limit > 0, limit.isFinite else {
                throw field.error("rate_limit is requests per second, more than 0, like 5 or 0.5")
            }
            options.rateLimit = limit
        }
    }

    /// Typed reads of single keys of `options:`, each refused at its place in the file.
    struct OptionFields {
        let node: ConfigNode

        func text(_ key: String) throws -> String? { try node[key]?.string(key) }

        /// A dotted path into an answer, like `data.items`.
        func path(_ key: String) throws -> [String]? { try text(key).map { $0.split(separator: ".").map(String.init) } }

        func positive(_ key: String) throws -> Int? {
            guard let field = node[key] else { return nil }
            let value = try field.int(key)
            guard value >= 1 else { throw field.error("\(key) must be 1 or more") }
            return value
        }

        func seconds(_ key: String) throws -> Double? {
            guard let field = node[key] else { return nil }
            guard let value = Double(try field.string(key)), value >= 0, value.isFinite else { throw field.error("\(key) is seconds, like 2 or 0.5") }
            return value
        }

        func choice<T: RawRepresentable & CaseIterable>(_ key: String, _: T.Type) throws -> T? where T.RawValue == String {
            guard let field = node[key] else { return nil }
            guard let value = T(rawValue: try field.string(key)) else {
                throw field.error("\(key) is one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return value
        }
    }

    /// http(s) only, and no credentials inside the URL, where they would reach logs.
    static func checkURL(_ text: String, node: ConfigNode) throws {
        guard let url = URLComponents(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host?.isEmpty == false else {
            throw node.error("'\(text)' is not an http or https URL")
        }
        guard url.user == nil, url.password == nil else {
            throw node.error("the URL holds credentials", hint: "use bearer_env or bearer_file, or user with password_env or password_file")
        }
    }

    static func origin(of url: String) -> String {
        guard var components = URLComponents(string: url) else { return url }
        components.path = ""
        components.query = nil
        return components.string ?? url
    }

    // MARK: URLs

    /// Only unreserved characters pass unescaped: `+` in a timestamp must not become a space.
    static func escape(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    static func adding(_ query: [(String, String)], to url: String) -> String {
        guard !query.isEmpty else { return url }
        let pairs = query.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
        return url + (url.contains("?") ? "&" : "?") + pairs
    }

    /// `url` with query parameter `name` set to `value`, added when absent.
    static func replacing(_ name: String, with value: String, in url: String) -> String {
        guard let mark = url.firstIndex(of: "?") else { return adding([(name, value)], to: url) }
        let key = escape(name)
        var found = false
        let pairs = url[url.index(after: mark)...].split(separator: "&").map { pair -> String in
            guard pair.split(separator: "=", maxSplits: 1).first.map(String.init) == key else { return String(pair) }
            found = true
            return "\(key)=\(escape(value))"
        }
        let rebuilt = String(url[..<mark]) + "?" + pairs.joined(separator: "&")
        return found ? rebuilt : adding([(name, value)], to: rebuilt)
    }

    /// The `rel="next"` target of a Link header (RFC 8288), resolved against the request.
    static func nextLink(in header: String, relativeTo base: String) -> String? {
        var rest = Substring(header)
        while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
            let target = rest[rest.index(after: open)..<close]
            let after = rest[rest.index(after: close)...]
            let parameters = after.prefix { $0 != "<" }
            let relations = parameters.split(separator: ";").compactMap { part -> [Substring]? in
                let pair = part.split(separator: "=", maxSplits: 1)
                guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "rel" else { return nil }
                return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\" ,")).split(separator: " ")
            }.flatMap { $0 }
            if relations.contains(where: { $0.lowercased() == "next" }) {
                return URL(string: String(target), relativeTo: URL(string: base))?.absoluteString
            }
            rest = after
        }
        return nil
    }

    /// Retry-After as seconds from now: delta-seconds or an HTTP date.
    static func retryAfter(_ text: String) -> TimeInterval? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed) { return max(0, seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: trimmed).map { max(0, $0.timeIntervalSinceNow) }
    }
}
