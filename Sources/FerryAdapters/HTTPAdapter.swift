public import Foundation
public import FerryCore
public import FerryTransport

/// A REST JSON system reached through libcurl: read by pages (page number, offset, cursor
/// token or Link header), written per record (PUT/POST) or per batch (POST of an array).
/// Credentials come from the environment or a file and only ever travel in a header;
/// 429 and 5xx answers and network failures are retried within the call, honouring
/// Retry-After, and the calls of one system share a rate limit.
public struct HTTPAdapter: Source, Sink {
    public enum Paging: String, Sendable, CaseIterable {
        case none, page, offset, cursor, link
    }

    public enum WriteMode: String, Sendable, CaseIterable {
        case record, batch
    }

    public struct Options: Sendable {
        /// The collection: read with GET, written with POST (batches, and records without a `recordURL`).
        public var url: String
        /// Where the list of records sits in an answer (`data.items`); nil finds a top-level
        /// array or an `items`, `data`, `records` or `results` member.
        public var items: [String]?
        public var paging: Paging = .none
        /// nil asks for the batch size the flow reads with.
        public var pageSize: Int?
        public var pageParameter = "page"
        public var sizeParameter = "size"
        public var firstPage = 1
        public var offsetParameter = "offset"
        public var limitParameter = "limit"
        public var cursorParameter = "cursor"
        /// Where the next cursor token sits in an answer; absent, null or empty ends the read.
        public var nextCursor = ["next_cursor"]
        /// Sent with the last checkpoint so the system returns only newer records.
        public var sinceParameter: String?
        /// The record field whose largest value becomes the checkpoint.
        public var cursorField: String?
        public var write: WriteMode = .record
        public var method = "PUT"
        /// One record's address, with `{column}` for its key columns (`/people/{id}`);
        /// needed for deletes and for finding the bad record in a refused batch.
        public var recordURL: String?
        public var headers: [String] = []
        /// Never printed, logged or put in an error.
        public var bearer: String?
        public var user: String?
        public var password: String?
        public var client = HTTPClient.Options()
        /// Attempts after the first for 429, 5xx and network failures, within one call.
        public var retries = 4
        public var retryWait: TimeInterval = 1
        /// A Retry-After longer than this fails the call (retryable), rather than blocking the node.
        public var retryMaxWait: TimeInterval = 120
        /// Requests per second to this system, across all its flows in this process.
        public var rateLimit: Double?

        public init(url: String) {
            self.url = url
            client.timeout = 30
        }
    }

    public let options: Options
    let layout: SinkLayout?

    public init(options: Options, layout: SinkLayout? = nil) {
        self.options = options
        self.layout = layout
    }

    // MARK: Source

    public func check() throws {
        _ = try firstPage()
    }

    /// The fields of the records on the first page.
    public func discover() throws -> [String] {
        var fields: Set<String> = []
        for case .object(let record) in try firstPage() { fields.formUnion(record.keys) }
        return fields.sorted()
    }

    private func firstPage() throws -> [Value] {
        var reader = Reader(adapter: self, since: nil, pageSize: 1)
        return try reader.page()?.items ?? []
    }

    public func read(since checkpoint: String?, batchSize: Int) throws -> any SourceReader {
        var since: Value?
        if let checkpoint, !checkpoint.isEmpty {
            guard case .object(let state)? = try? CanonicalJSON.decode(Array(checkpoint.utf8)) else {
                throw FerryError.adapter(.configuration, "unreadable checkpoint '\(checkpoint)'", hint: "reset it with 'ferry queue reset-checkpoint'")
            }
            since = state["since"]
        }
        return Reader(adapter: self, since: since, pageSize: options.pageSize ?? batchSize)
    }

    struct Reader: SourceReader {
        let adapter: HTTPAdapter
        var since: Value?
        let pageSize: Int
        var nextURL: String?
        var pageNumber: Int
        var offset = 0

        init(adapter: HTTPAdapter, since: Value?, pageSize: Int) {
            self.adapter = adapter
            self.since = since
            self.pageSize = pageSize
            pageNumber = adapter.options.firstPage
            let options = adapter.options
            var query: [(String, String)] = []
            if let parameter = options.sinceParameter, let text = since?.text { query.append((parameter, text)) }
            switch options.paging {
            case .page: query += [(options.pageParameter, String(pageNumber)), (options.sizeParameter, String(pageSize))]
            case .offset: query += [(options.offsetParameter, "0"), (options.limitParameter, String(pageSize))]
            case .cursor, .link: if options.pageSize != nil || pageSize == 1 { query.append((options.limitParameter, String(pageSize))) }
            case .none: break
            }
            nextURL = HTTPAdapter.adding(query, to: options.url)
        }

        mutating func next() throws -> SourceBatch? {
            let url = nextURL
            guard let page = try page(), !page.items.isEmpty else { return nil }
            var rows: [[String: Value]] = []
            rows.reserveCapacity(page.items.count)
            for (index, item) in page.items.enumerated() {
                guard case .object(let record) = item else {
                    throw FerryError.adapter(.permanent, "item \(index + 1) of \(HTTPClient.redacted(url ?? "")) is not a JSON object",
                        hint: "each record must be an object of fields")
                }
                if let field = adapter.options.cursorField, let value = record[field], !value.isNull,
                    since.map({ HTTPAdapter.precedes($0, value) }) ?? true
                {
                    since = value
                }
                rows.append(record)
            }
            let place = "\(HTTPClient.redacted(url ?? "")) page \(page.number)"
            let checkpoint = since.map { String(decoding: CanonicalJSON.encode(.object(["since": $0])), as: UTF8.self) } ?? ""
            return SourceBatch(rows: rows, positions: rows.indices.map { "\(place) #\($0 + 1)" }, checkpoint: checkpoint)
        }

        /// Fetches the next page and works out the one after it.
        mutating func page() throws -> (items: [Value], number: Int)? {
            guard let url = nextURL else { return nil }
            let response = try adapter.exchange(HTTPClient.Request(url: url, headers: adapter.headers(json: false)))
            guard (200..<300).contains(response.status) else {
                throw adapter.refusal(response, method: "GET", url: url)
            }
            let answer: Value
            do { answer = try CanonicalJSON.decode(response.body) } catch let error as FerryError {
                throw FerryError.adapter(.permanent, "the answer to GET \(HTTPClient.redacted(url)) is not JSON: \(error.message)",
                    hint: "check url: it must name a JSON collection")
            }
            let items = try adapter.records(in: answer, from: url)
            let number = pageNumber
            let options = adapter.options
            switch options.paging {
            case .none:
                nextURL = nil
            case .page:
                pageNumber += 1
                nextURL = items.count < pageSize ? nil : HTTPAdapter.replacing(options.pageParameter, with: String(pageNumber), in: url)
            case .offset:
                offset += items.count
                nextURL = items.count < pageSize ? nil : HTTPAdapter.replacing(options.offsetParameter, with: String(offset), in: url)
            case .cursor:
                pageNumber += 1
                let token = HTTPAdapter.member(options.nextCursor, of: answer)?.text ?? ""
                nextURL = token.isEmpty || items.isEmpty ? nil : HTTPAdapter.replacing(options.cursorParameter, with: token, in: url)
            case .link:
                pageNumber += 1
                // Credentials go with every page: never follow a link to another origin.
                nextURL = response.header("link").flatMap { HTTPAdapter.nextLink(in: $0, relativeTo: url) }
                    .flatMap { HTTPAdapter.origin(of: $0) == HTTPAdapter.origin(of: options.url) ? $0 : nil }
            }
            return (items, number)
        }
    }

    // MARK: Sink

    public func apply(_ rows: [SinkRow]) throws -> [SinkOutcome] {
        guard !rows.isEmpty else { return [] }
        return options.write == .batch ? try applyBatch(rows) : try rows.map(applyOne)
    }

    private func applyBatch(_ rows: [SinkRow]) throws -> [SinkOutcome] {
        let body = Value.list(rows.map(Self.body))
        let response = try exchange(HTTPClient.Request(method: "POST", url: options.url, headers: headers(json: true), body: .bytes(CanonicalJSON.encode(body))))
        switch response.status {
        case 200..<300:
            // An answer listing one result per record, in order, says which were taken.
            guard case .list(let results)? = try? CanonicalJSON.decode(response.body), results.count == rows.count else {
                return rows.map { _ in .applied }
            }
            return results.map(Self.outcome)
        case 401, 403, 404, 408:
            throw refusal(response, method: "POST", url: options.url)
        case 400..<500 where options.recordURL != nil:
            // One bad record must not sink the batch: send them one by one to find it.
            return try rows.map(applyOne)
        case 400..<500:
            let reason = "\(response.status): \(Self.scrub(response.excerpt))"
            return rows.map { _ in .rejected(reason) }
        default:
            throw refusal(response, method: "POST", url: options.url)
        }
    }

    private func applyOne(_ row: SinkRow) throws -> SinkOutcome {
        let request: HTTPClient.Request
        if row.operation == .delete {
            guard let address = try recordAddress(row) else {
                return .rejected("deleting needs record_url in the system's options")
            }
            request = HTTPClient.Request(method: "DELETE", url: address, headers: headers(json: false))
        } else {
            let address = try recordAddress(row)
            request = HTTPClient.Request(method: address == nil ? "POST" : options.method, url: address ?? options.url,
                headers: headers(json: true), body: .bytes(CanonicalJSON.encode(Self.body(row))))
        }
        // Messages name the record by the template, never by its key: keys can be personal.
        let place = options.recordURL ?? options.url
        let response = try exchange(request, label: HTTPClient.redacted(place))
        switch response.status {
        case 200..<300: return .applied
        case 404 where row.operation == .delete: return .applied
        // The system holds a newer version and said so.
        case 409, 412: return .skippedOlder
        // Credentials, addresses and time-outs concern every record, not this one.
        case 401, 403, 404, 408: throw refusal(response, method: request.method, url: place)
        case 400..<500: return .rejected("\(response.status): \(Self.scrub(response.excerpt))")
        default: throw refusal(response, method: request.method, url: place)
        }
    }

    /// The record as sent: its fields, and `_op: delete` for a deletion in a batch.
    static func body(_ row: SinkRow) -> Value {
        var fields = row.values.merging(row.key) { value, _ in value }
        if row.operation == .delete { fields["_op"] = "delete" }
        return .object(fields)
    }

    static func outcome(_ result: Value) -> SinkOutcome {
        guard case .object(let fields) = result else { return .applied }
        switch fields["status"]?.text {
        case "older", "skipped": return .skippedOlder
        case "rejected": return .rejected(fields["reason"]?.text ?? "rejected by the system")
        default: return .applied
        }
    }

    /// `recordURL` with its `{column}` places filled from the row's key, or nil without one.
    func recordAddress(_ row: SinkRow) throws -> String? {
        guard var address = options.recordURL else { return nil }
        for (column, value) in row.key.merging(row.values, uniquingKeysWith: { key, _ in key }) where address.contains("{\(column)}") {
            address = address.replacingOccurrences(of: "{\(column)}", with: Self.escape(value.text ?? ""))
        }
        if let open = address.firstIndex(of: "{"), address[open...].contains("}") {
            throw FerryError.adapter(.configuration, "record_url \(options.recordURL ?? "") names a column the record does not have",
                hint: "use the columns the mapping writes, like {id}")
        }
        return address
    }

    // MARK: the exchange

    func headers(json: Bool) -> [String] {
        var headers = ["Accept: application/json"] + options.headers
        if json { headers.append("Content-Type: application/json; charset=utf-8") }
        if let bearer = options.bearer {
            headers.append("Authorization: Bearer \(bearer)")
        } else if let user = options.user {
            headers.append("Authorization: Basic \(Data("\(user):\(options.password ?? "")".utf8).base64EncodedString())")
        }
        return headers
    }

    /// One request, retried on 429, 5xx and network failures with backoff or the server's
    /// Retry-After; any other answer is returned for the caller to judge.
    /// `label` names the request in messages; for a record's own URL it is the template, so
    /// no key (which may be personal) reaches an error, a dead letter or the audit log.
    func exchange(_ request: HTTPClient.Request, label: String? = nil) throws -> HTTPClient.Response {
        let client = HTTPClient(options: options.client)
        let label = label ?? HTTPClient.redacted(request.url)
        let gate = options.rateLimit.map { RateGate.shared(for: options.url, perSecond: $0) }
        var attempt = 0
        while true {
            attempt += 1
            gate?.wait()
            let response: HTTPClient.Response
            do {
                response = try client.perform(request)
            } catch let error as FerryError where error.code == .transportRetryable {
                let tls = error.hint?.hasPrefix("TLS") == true
                guard !tls, attempt <= options.retries else {
                    throw FerryError.adapter(tls ? .configuration : .retryable,
                        error.message.replacingOccurrences(of: HTTPClient.redacted(request.url), with: label), hint: error.hint)
                }
                Thread.sleep(forTimeInterval: backoff(attempt))
                continue
            }
            guard response.status == 429 || (500...599).contains(response.status) else {
                if response.truncated {
                    throw FerryError.adapter(.permanent, "\(request.method) \(label): the answer is too large",
                        hint: "set page_size lower")
                }
                return response
            }
            let asked = response.header("retry-after").flatMap(Self.retryAfter)
            guard attempt <= options.retries else {
                throw FerryError.adapter(.retryable,
                    "\(request.method) \(label) still answered \(response.status) after \(attempt) attempts: \(Self.scrub(response.excerpt))",
                    hint: "the system is busy or failing; the queue tries again later")
            }
            let wait = asked ?? backoff(attempt)
            guard wait <= options.retryMaxWait else {
                throw FerryError.adapter(.retryable,
                    "\(label) asked to wait \(Int(wait)) s (Retry-After), over retry_max_wait \(Int(options.retryMaxWait)) s",
                    hint: "the queue tries again later; raise retry_max_wait to wait in the call instead")
            }
            Thread.sleep(forTimeInterval: wait)
        }
    }

    func backoff(_ attempt: Int) -> TimeInterval {
        min(60, options.retryWait * pow(2, Double(attempt - 1)))
    }

    /// An answer that is neither success nor a case the caller handles, classed for the queue.
    func refusal(_ response: HTTPClient.Response, method: String, url: String) -> FerryError {
        let place = "\(method) \(HTTPClient.redacted(url))"
        switch response.status {
        case 408:
            return FerryError.adapter(.retryable, "\(place) timed out (408)", hint: "the queue tries again later")
        case 401, 403:
            return FerryError.adapter(.configuration, "\(place) was refused (\(response.status))",
                hint: "check the credentials (bearer_env/bearer_file, user with password_env/password_file) and the client certificate")
        case 404:
            return FerryError.adapter(.configuration, "\(place) answered 404", hint: "check url and record_url in the system's options")
        case 429, 500...599:
            return FerryError.adapter(.retryable, "\(place) answered \(response.status): \(Self.scrub(response.excerpt))", hint: "the queue tries again later")
        default:
            return FerryError.adapter(.permanent, "\(place) answered \(response.status): \(Self.scrub(response.excerpt))", hint: "see the system's answer")
        }
    }

    /// The records of one answer.
    func records(in answer: Value, from url: String) throws -> [Value] {
        if let path = options.items {
            guard case .list(let items)? = Self.member(path, of: answer) else {
                throw FerryError.adapter(.configuration, "the answer to GET \(HTTPClient.redacted(url)) has no list at \(path.joined(separator: "."))",
                    hint: "set items: to where the records are")
            }
            return items
        }
        if case .list(let items) = answer { return items }
        for name in ["items", "data", "records", "results"] {
            if case .list(let items)? = Self.member([name], of: answer) { return items }
        }
        throw FerryError.adapter(.configuration, "cannot find the records in the answer to GET \(HTTPClient.redacted(url))",
            hint: "set items: to the dotted path of the list, like data.items")
    }

    /// A system's answer as it may be stored and logged: long runs of letters and digits
    /// (ID numbers, passport numbers, phone numbers a server echoes back) masked.
    static func scrub(_ text: String) -> String {
        var out = ""
        var run = ""
        func flush() {
            out += run.count >= 6 && run.contains(where: \.isNumber) ? Masking.mask(run) : run
            run = ""
        }
        for character in text {
            if character.isLetter && character.isASCII || character.isNumber { run.append(character) } else {
                flush()
                out.append(character)
            }
        }
        flush()
        return out
    }

    static func member(_ path: [String], of value: Value) -> Value? {
        var current = value
        for name in path {
            guard case .object(let fields) = current, let next = fields[name] else { return nil }
            current = next
        }
        return current
    }

    /// Whether cursor value `a` comes before `b`: numbers by value, anything else as text
    /// (ISO timestamps sort as text).
    static func precedes(_ a: Value, _ b: Value) -> Bool {
        if case .int(let x) = a, case .int(let y) = b { return x < y }
        return (a.text ?? "") < (b.text ?? "")
    }
}
