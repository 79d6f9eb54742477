public import Foundation
import FerryCore
public import FerryTransport

/// A REST JSON system reached through libcurl: read by pages (page number, offset, cursor
/// token or Link header), written per record (PUT/POST) or per batch (POST of an array).
/// Credentials come from the environment or a file and only ever travel in a header;
/// 429 and 5xx answers and network failures are retried within the call, honouring
/// Retry-After, and the calls of one system share a rate limit.
public struct HTTPAdapter: Source, Sink {
    public enum Paging: String, Sendable, CaseIterable {
        case none, page, offset, cursor, link
        /// Each page asks for the records after the last one read, by `keyset` fields.
        case keyset
        /// Each page asks `since_param` for the records from the largest `cursor` value read.
        case since
    }

    /// How documents go to the system (docs/documents.md).
    public enum Upload: String, Sendable, CaseIterable {
        case multipart
        case raw
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
        /// The record fields the API sorts by, for `paging: keyset` (`[updated, id]`).
        public var keyset: [String] = []
        /// The query parameters carrying the last record's `keyset` values, one per field.
        public var afterParameters: [String] = []
        /// When a 2xx JSON answer means success (`code == 0`); nil judges by a recognisable error envelope.
        public var success: SuccessPredicate?
        /// Where the system's own error text sits (`msg`, `error.message`); nil tries the usual names.
        public var message: [String]?
        /// Codes inside an answer that mean the credentials were refused, besides 401 and 403
        /// (and codes starting with them, like 40101): a configuration error, not a retry.
        public var authCodes: [String] = []
        public var write: WriteMode = .record
        /// Fields of read records holding a URL (absolute, or a path on `url`'s origin) of a
        /// file each record carries as a document, downloaded with the same credentials.
        public var documents: [String] = []
        /// How documents are written: beside the record in one `multipart/form-data`
        /// request, or each first as a raw body to `documentURL`.
        public var upload: Upload = .multipart
        /// `document_url: /files/{digest}`: where `upload: raw` PUTs each document
        /// (`{digest}` and `{name}` are filled in, percent-encoded).
        public var documentURL: String?
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
        var reader = Reader(adapter: self, since: nil, after: nil, pageSize: 1)
        return try reader.page()?.items ?? []
    }

    /// Reads from a checkpoint `{"since": V}`, with `"after": [...]` under keyset paging.
    public func read(since checkpoint: String?, batchSize: Int) throws -> any SourceReader {
        var since: Value?
        var after: [Value]?
        if let checkpoint, !checkpoint.isEmpty {
            guard case .object(let state)? = try? CanonicalJSON.decode(Array(checkpoint.utf8)) else {
                throw FerryError.adapter(.configuration, "unreadable checkpoint '\(checkpoint)'", hint: "reset it with 'ferry queue reset-checkpoint'")
            }
            since = state["since"]
            // A position of other fields (the keyset changed) would resume at the wrong place: read from the start.
            if case .list(let values)? = state["after"], values.count == options.keyset.count { after = values }
        }
        return Reader(adapter: self, since: since, after: after, pageSize: options.pageSize ?? batchSize)
    }

    // MARK: Sink

    public func apply(_ rows: [SinkRow]) throws -> [SinkOutcome] {
        guard !rows.isEmpty else { return [] }
        // A record with documents goes alone: its files travel in its own request.
        guard rows.contains(where: Self.hasDocuments) else {
            return options.write == .batch ? try applyBatch(rows) : try rows.map(applyOne)
        }
        return try rows.map(applyOne)
    }

    private func applyBatch(_ rows: [SinkRow]) throws -> [SinkOutcome] {
        let body = Value.list(rows.map(Self.body))
        let response = try exchange(HTTPClient.Request(method: "POST", url: options.url, headers: headers(json: true), body: .bytes(CanonicalJSON.encode(body))))
        switch response.status {
        case 200..<300:
            // An answer listing one result per record, in order, says which were taken.
            guard case .list(let results)? = try? CanonicalJSON.decode(response.body), results.count == rows.count else {
                try judgeWrite(response, method: "POST", url: options.url)
                return rows.map { _ in .applied }
            }
            return results.map(Self.outcome)
        case 401, 403, 404, 408:
            throw refusal(response, method: "POST", url: options.url)
        case 400..<500 where options.recordURL != nil:
            // One bad record must not sink the batch: send them one by one to find it.
            return try rows.map(applyOne)
        case 400..<500 where rows.count > 1:
            // Nor lend its error, which may quote it, to the others: each alone, as a batch of one.
            return try rows.flatMap { try applyBatch([$0]) }
        case 400..<500:
            return [.rejected("\(response.status): \(Self.scrub(response.excerpt))")]
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
        } else if Self.hasDocuments(row) {
            switch try documentRequest(row) {
            case .request(let made): request = made
            case .refused(let reason): return .rejected(reason)
            }
        } else {
            let address = try recordAddress(row)
            request = HTTPClient.Request(method: address == nil ? "POST" : options.method, url: address ?? options.url,
                headers: headers(json: true), body: .bytes(CanonicalJSON.encode(Self.body(row))))
        }
        defer { if case .file(let body) = request.body { try? FileManager.default.removeItem(at: body) } }
        // Messages name the record by the template, never by its key: keys can be personal.
        let place = options.recordURL ?? options.url
        let response = try exchange(request, label: HTTPClient.redacted(place))
        switch response.status {
        case 200..<300:
            try judgeWrite(response, method: request.method, url: place)
            return .applied
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

    /// A system's answer as it may be stored and logged: ID, passport and mobile numbers a
    /// server echoes back (grouped with spaces too), and any other run of 6 or more letters
    /// and digits holding a digit (tokens), masked by Unicode scalar (``FreeTextRedactor``).
    static func scrub(_ text: String) -> String { scrubber(text) }

    private static let scrubber = FreeTextRedactor(masksLongRuns: true)

    static func member(_ path: [String], of value: Value) -> Value? {
        var current = value
        for name in path {
            guard case .object(let fields) = current, let next = fields[name] else { return nil }
            current = next
        }
        return current
    }
}
