import Foundation
import FerryCore
import FerryTransport

extension HTTPAdapter {
    /// Reads a collection page by page; each page is one batch, whose checkpoint carries the
    /// largest `cursor` value read and, under keyset paging on the cursor, the last position.
    struct Reader: SourceReader {
        let adapter: HTTPAdapter
        /// Where this read's documents are downloaded, emptied batch by batch.
        let downloads = DownloadFolder()
        var since: Value?
        /// Keyset and since paging: the paging fields' values of the last record read.
        var after: [Value]?
        /// The records read at exactly `after` (canonical bytes): an API whose filter includes
        /// the value itself ("at or after") sends them again, and they are dropped.
        var atBoundary: Set<[UInt8]> = []
        let pageSize: Int
        var nextURL: String?
        var pageNumber: Int
        var offset = 0

        init(adapter: HTTPAdapter, since: Value?, after: [Value]?, pageSize: Int) {
            self.adapter = adapter
            self.since = since
            self.pageSize = pageSize
            pageNumber = adapter.options.firstPage
            let options = adapter.options
            var query: [(String, String)] = []
            if let parameter = options.sinceParameter, let text = since?.text, options.sendsSinceFilter {
                query.append((parameter, text))
            }
            switch options.paging {
            case .page: query += [(options.pageParameter, String(pageNumber)), (options.sizeParameter, String(pageSize))]
            case .offset: query += [(options.offsetParameter, "0"), (options.limitParameter, String(pageSize))]
            case .cursor, .link: if options.pageSize != nil || pageSize == 1 { query.append((options.limitParameter, String(pageSize))) }
            case .keyset, .since:
                query.append((options.limitParameter, String(pageSize)))
                self.after = options.paging == .since ? since.map { [$0] } : (options.keysetResumes ? after : nil)
                if let position = self.after { query += zip(options.pagingParameters, position.map { $0.text ?? "" }).map { ($0, $1) } }
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
                    throw HTTPAdapter.notAnObject(index, url: url ?? "")
                }
                // An empty stamp is no stamp, like null: it must not become the checkpoint.
                if let field = adapter.options.cursorField, let value = record[field], !value.isNull, value != .string(""),
                    since.map({ HTTPAdapter.precedes($0, value) }) ?? true
                {
                    since = value
                }
                rows.append(record)
            }
            let place = "\(HTTPClient.redacted(url ?? "")) page \(page.number)"
            var batch = SourceBatch(rows: [], positions: [], checkpoint: checkpoint)
            // The files of the batch before are in the node's blob store by now.
            downloads.clear()
            for (index, row) in rows.enumerated() {
                switch adapter.download(row, into: downloads) {
                case .success(let fetched):
                    batch.rows.append(fetched)
                    batch.positions.append("\(place) #\(index + 1)")
                case .failure(let refusal):
                    batch.malformed.append(MalformedRow(position: "\(place) #\(index + 1)", reason: refusal.reason, raw: CanonicalJSON.encode(.object(row))))
                }
            }
            return batch
        }

        /// `{"since": V}`, with `"after": [...]` when the next read resumes at the keyset position.
        var checkpoint: String {
            var state: [String: Value] = [:]
            if let since { state["since"] = since }
            if adapter.options.paging == .keyset, adapter.options.keysetResumes, let after { state["after"] = .list(after) }
            return state.isEmpty ? "" : String(decoding: CanonicalJSON.encode(.object(state)), as: UTF8.self)
        }

        /// Fetches the next page, judges it, and works out the one after it.
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
            let items = try adapter.judgedRecords(in: answer, status: response.status, from: url)
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
            case .keyset, .since:
                pageNumber += 1
                let fresh = try advance(over: items, from: url)
                guard items.count >= pageSize else {
                    nextURL = nil
                    return (fresh, number)
                }
                guard !fresh.isEmpty else { throw HTTPAdapter.stuck(pageSize, fields: options.pagingFields, url: url) }
                var next = url
                for (parameter, value) in zip(options.pagingParameters, after ?? []) {
                    next = HTTPAdapter.replacing(parameter, with: value.text ?? "", in: next)
                }
                nextURL = next
                return (fresh, number)
            }
            return (items, number)
        }

        /// The page's records not read before, in order; moves `after` to the last one.
        /// Refuses a page out of order: paging on after it could skip records for good.
        mutating func advance(over items: [Value], from url: String) throws -> [Value] {
            let fields = adapter.options.pagingFields
            var fresh: [Value] = []
            for (index, item) in items.enumerated() {
                guard case .object(let record) = item else { throw HTTPAdapter.notAnObject(index, url: url) }
                let position = try fields.map { field -> Value in
                    switch record[field] {
                    case .int?, .decimal?, .string?, .bool?: return record[field] ?? .null
                    default: throw HTTPAdapter.missingPagingField(field, record: index, url: url)
                    }
                }
                let bytes = CanonicalJSON.encode(item)
                let order = after.map { HTTPAdapter.compare(position, $0) } ?? .orderedDescending
                switch order {
                case .orderedAscending:
                    throw HTTPAdapter.outOfOrder(record: index, fields: fields, url: url)
                case .orderedSame:
                    // The filter includes the value itself: this record came back, or a new one ties with it.
                    guard atBoundary.insert(bytes).inserted else { continue }
                case .orderedDescending:
                    after = position
                    atBoundary = [bytes]
                }
                fresh.append(item)
            }
            return fresh
        }
    }

    // MARK: paging errors

    static func notAnObject(_ index: Int, url: String) -> FerryError {
        FerryError.adapter(.permanent, "item \(index + 1) of \(HTTPClient.redacted(url)) is not a JSON object",
            hint: "each record must be an object of fields")
    }

    static func missingPagingField(_ field: String, record index: Int, url: String) -> FerryError {
        FerryError.adapter(.configuration, "record \(index + 1) of GET \(HTTPClient.redacted(url)) has no value for \(field), which the read pages by",
            hint: "every record must carry the keyset fields (or the cursor field under paging: since) as a number or text")
    }

    static func outOfOrder(record index: Int, fields: [String], url: String) -> FerryError {
        FerryError.adapter(.configuration,
            "record \(index + 1) of GET \(HTTPClient.redacted(url)) sorts before a record already read by \(fields.joined(separator: ", ")): "
                + "paging on could skip records",
            hint: "the API must answer in \(fields.joined(separator: ", ")) order and only records from the position sent; check keyset: and after_param:")
    }

    static func stuck(_ size: Int, fields: [String], url: String) -> FerryError {
        FerryError.adapter(.configuration,
            "GET \(HTTPClient.redacted(url)) answered a full page of \(size) records, all read already: more than \(size) records share one "
                + "\(fields.joined(separator: ", ")) value, and asking from it again cannot get past them",
            hint: fields.count == 1 ? "add a tie-breaker (paging: keyset with keyset: [\(fields[0]), id]) or raise page_size" : "raise page_size")
    }

    /// Orders positions field by field (``compare(_:_:)-swift.type.method`` per value).
    static func compare(_ a: [Value], _ b: [Value]) -> ComparisonResult {
        for (x, y) in zip(a, b) {
            let order = compare(x, y)
            if order != .orderedSame { return order }
        }
        return a.count == b.count ? .orderedSame : (a.count < b.count ? .orderedAscending : .orderedDescending)
    }

    /// Numbers by value (also decimals, which sort wrongly as text: "9.5" after "10.5"),
    /// anything else as text: ISO timestamps sort as text.
    static func compare(_ a: Value, _ b: Value) -> ComparisonResult {
        if case .int(let x) = a, case .int(let y) = b { return x == y ? .orderedSame : (x < y ? .orderedAscending : .orderedDescending) }
        if a.isNumber, b.isNumber, let x = SuccessPredicate.number(a), let y = SuccessPredicate.number(b) {
            return x == y ? .orderedSame : (x < y ? .orderedAscending : .orderedDescending)
        }
        let (x, y) = (a.text ?? "", b.text ?? "")
        return x == y ? .orderedSame : (x < y ? .orderedAscending : .orderedDescending)
    }

    /// Whether cursor value `a` comes before `b`.
    static func precedes(_ a: Value, _ b: Value) -> Bool {
        compare(a, b) == .orderedAscending
    }
}

extension Value {
    fileprivate var isNumber: Bool {
        switch self {
        case .int, .decimal: return true
        default: return false
        }
    }
}
