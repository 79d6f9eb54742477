import Foundation
import Testing
import FerryTestSupport
import FerryCore
import FerryTransport
import FerrySeal
@testable import FerryAdapters

/// The http adapter against a real REST server on 127.0.0.1: every paging style, busy and
/// failing servers, a slow one, versioned writes, credentials and mutual TLS.
@Suite struct HTTPAdapterTests {
    /// Seven people, Beijing-time versions with a `+`, which a careless query would turn into a space.
    static let people: [[String: Value]] = (1...7).map { number in
        ["id": .string("P\(number)"), "name": .string("申请人\(number)"), "updated": .string("2026-11-24T09:0\(number):00+08:00")]
    }

    func adapter(_ yaml: String, environment: [String: String] = [:]) throws -> HTTPAdapter {
        let node = try ConfigNode.parse(yaml, file: "ferry.yaml")
        let options = try HTTPAdapter.options(node, system: "vendor", environment: environment, baseDirectory: URL(fileURLWithPath: "/"))
        return HTTPAdapter(options: options, layout: SinkLayout(keyColumns: ["id"], versionColumn: "updated"))
    }

    func readAll(_ adapter: HTTPAdapter, since: String? = nil, batchSize: Int = 3) throws -> (ids: [String], checkpoint: String?) {
        var reader = try adapter.read(since: since, batchSize: batchSize)
        var ids: [String] = []
        var checkpoint: String?
        while let batch = try reader.next() {
            ids += batch.rows.compactMap { $0["id"]?.text }
            checkpoint = batch.checkpoint
        }
        return (ids, checkpoint)
    }

    func gets(_ system: RESTSystem, under prefix: String) throws -> [[String: Value]] {
        try system.log().filter { $0["method"]?.text == "GET" && $0["path"]?.text?.hasPrefix(prefix) == true }
    }

    @Test func everyPagingStyleReadsEachRecordOnceAndIncrementsFromItsCheckpoint() throws {
        let system = try RESTSystem()
        try system.seed("people", Self.people)
        let all = Self.people.compactMap { $0["id"]?.text }
        let styles = [
            ("page", "{ url: \"\(system.url("/page/people"))\", paging: page, page_size: 3, cursor: updated, since_param: updated_since }", 3),
            ("offset", "{ url: \"\(system.url("/offset/people"))\", paging: offset, page_size: 3, items: data.rows }", 3),
            ("cursor", "{ url: \"\(system.url("/cursor/people"))\", paging: cursor, page_size: 3 }", 3),
            ("link", "{ url: \"\(system.url("/link/people?size=3"))\", paging: link }", 3),
            ("plain", "{ url: \"\(system.url("/plain/people"))\" }", 1),
        ]
        for (style, yaml, requests) in styles {
            let read = try readAll(adapter(yaml))
            #expect(read.ids == all, "\(style)")
            #expect(try gets(system, under: "/\(style)/").count == requests, "\(style) took a different number of requests")
        }

        // Incremental: the checkpoint carries the newest version, and the next read asks for what is newer.
        let incremental = try adapter(styles[0].1)
        let first = try readAll(incremental)
        #expect(first.checkpoint?.contains("2026-11-24T09:07:00+08:00") == true, "\(first.checkpoint ?? "none")")
        #expect(try readAll(incremental, since: first.checkpoint).ids.isEmpty)
        try system.seed("people", [["id": "P8", "name": "新人", "updated": "2026-11-24T10:00:00+08:00"],
            ["id": "P2", "name": "改名", "updated": "2026-11-24T10:01:00+08:00"]])
        let next = try readAll(incremental, since: first.checkpoint)
        #expect(next.ids == ["P8", "P2"])
        #expect(try gets(system, under: "/page/").last?["path"]?.text?.contains("updated_since=2026-11-24T09%3A07%3A00%2B08%3A00") == true)

        #expect(try adapter(styles[1].1).discover() == ["id", "name", "updated"])
        #expect(throws: FerryError.self) { try adapter("{ url: \"\(system.url("/page/people"))\", items: data.missing }").check() }
    }

    @Test func busyAndFailingServersAreRetriedHonouringRetryAfter() throws {
        let system = try RESTSystem()
        try system.seed("people", Self.people)
        let reader = try adapter("{ url: \"\(system.url("/plain/people"))\", retries: 3, retry_wait: 0.05 }")

        try system.fault("/plain/", status: 429, retryAfter: "1")
        #expect(try readAll(reader).ids.count == 7)
        let busy = try gets(system, under: "/plain/")
        #expect(busy.count == 2)
        if busy.count == 2, let first = busy[0]["time"]?.text.flatMap(Double.init), let second = busy[1]["time"]?.text.flatMap(Double.init) {
            #expect(second - first >= 0.95, "Retry-After: 1 was not honoured: \(second - first) s")
        }

        try system.fault("/plain/", status: 500, times: 2)
        #expect(try readAll(reader).ids.count == 7)
        #expect(try gets(system, under: "/plain/").count == 2 + 3)

        try system.fault("/plain/", status: 503, times: 10)
        do {
            _ = try readAll(reader)
            Issue.record("a server failing every time was read")
        } catch let error as FerryError {
            #expect(error.adapterFailure == .retryable)
            #expect(error.message.contains("503 after 4 attempts"), "\(error.message)")
        }

        // A wait longer than the adapter may block is handed back to the queue at once.
        try system.fault("/offset/", status: 429, retryAfter: "300")
        let started = Date()
        #expect(throws: FerryError.self) { try readAll(adapter("{ url: \"\(system.url("/offset/people"))\", items: data.rows, retry_max_wait: 5 }")) }
        #expect(Date().timeIntervalSince(started) < 2)
    }

    @Test func aSlowServerTimesOut() throws {
        let system = try RESTSystem()
        try system.fault("/plain/", delay: 4)
        let started = Date()
        do {
            _ = try readAll(adapter("{ url: \"\(system.url("/plain/people"))\", timeout: 1, retries: 0 }"))
            Issue.record("a server slower than the timeout was waited for")
        } catch let error as FerryError {
            #expect(error.adapterFailure == .retryable)
            #expect(error.hint?.hasPrefix("timed out") == true, "\(error)")
        }
        #expect(Date().timeIntervalSince(started) < 3)
    }

    @Test func writesAreKeyedVersionedIdempotentAndOneBadRecordStaysAlone() throws {
        let system = try RESTSystem()
        let sink = try adapter("{ url: \"\(system.url("/c/people"))\", record_url: \"/c/people/{id}\" }")
        func row(_ id: String, _ name: String, _ updated: String, _ operation: Record.Operation = .upsert) -> SinkRow {
            SinkRow(key: ["id": .string(id)], values: ["id": .string(id), "name": .string(name), "updated": .string(updated)], operation: operation)
        }
        let outcomes = try sink.apply([row("A1", "甲", "2026-11-24 09:00:00"), row("A2", "", "2026-11-24 09:00:00"),
            row("a/b c+d", "路径", "2026-11-24 09:00:00")])
        #expect(outcomes[0] == .applied && outcomes[2] == .applied)
        guard case .rejected(let reason) = outcomes[1] else { Issue.record("an empty name was taken: \(outcomes[1])"); return }
        #expect(reason.contains("422") && reason.contains("name must not be empty"))
        #expect(try system.records("people").compactMap { $0["id"]?.text }.sorted() == ["A1", "a/b c+d"])

        #expect(try sink.apply([row("A1", "旧", "2026-11-23 09:00:00")]) == [.skippedOlder])
        #expect(try sink.apply([row("A1", "甲", "2026-11-24 09:00:00")]) == [.applied])
        #expect(try sink.apply([row("A1", "", "2026-11-25 09:00:00", .delete)]) == [.applied])
        #expect(try sink.apply([row("A1", "", "2026-11-25 09:00:00", .delete)]) == [.applied], "deleting twice is idempotent")
        #expect(try system.records("people").compactMap { $0["id"]?.text } == ["a/b c+d"])

        let batch = try adapter("{ url: \"\(system.url("/c/batch"))\", write: batch }")
        let results = try batch.apply([row("B1", "乙", "2026-11-24 09:00:00"), row("B2", "", "2026-11-24 09:00:00")])
        #expect(results.first == .applied)
        #expect(results.count == 2 && results[1] != .applied)
        #expect(try system.log().filter { $0["method"]?.text == "POST" && $0["path"]?.text == "/c/batch" }.count == 1, "a batch is one request")
    }

    @Test func credentialsComeFromTheEnvironmentAndNeverShowInErrors() throws {
        let token = "s3cret-token-\(UUID().uuidString)"
        let system = try RESTSystem(arguments: ["--token", token])
        let yaml = "{ url: \"\(system.url("/plain/people"))\", bearer_env: VENDOR_TOKEN, retries: 0 }"
        do {
            try adapter(yaml, environment: ["VENDOR_TOKEN": "wrong-\(token)"]).check()
            Issue.record("a wrong token was accepted")
        } catch let error as FerryError {
            #expect(error.adapterFailure == .configuration)
            #expect(error.message.contains("401"))
            #expect(!error.description.contains(token))
        }
        // A refused write is the configuration's fault, not the record's: it must not be settled as rejected.
        let sink = try adapter("{ url: \"\(system.url("/c/people"))\", record_url: \"/c/people/{id}\", bearer_env: VENDOR_TOKEN, retries: 0 }",
            environment: ["VENDOR_TOKEN": "expired"])
        do {
            _ = try sink.apply([SinkRow(key: ["id": "350212198001014532"], values: ["id": "350212198001014532", "name": "甲", "updated": "2026-11-24"])])
            Issue.record("a write with an expired token was settled")
        } catch let error as FerryError {
            #expect(error.adapterFailure == .configuration)
            #expect(!error.description.contains("350212198001014532"), "the record's key reached the error: \(error)")
        }
        try adapter(yaml, environment: ["VENDOR_TOKEN": token]).check()
        #expect(try gets(system, under: "/plain/").last?["authorized"] == .bool(true))

        #expect(throws: FerryError.self) { try adapter(yaml) }
        for hostile in ["{ url: \"https://user:pw@127.0.0.1/x\" }", "{ url: \"file:///etc/passwd\" }",
            "{ url: \"https://127.0.0.1/x\", headers: { Authorization: \"Bearer \(token)\" } }"]
        {
            do {
                _ = try adapter(hostile)
                Issue.record("accepted \(hostile)")
            } catch let error as FerryError {
                #expect(error.location != nil && !error.description.contains(token) && !error.description.contains("pw@"), "\(error)")
            }
        }
    }

    @Test func mutualTLSAdmitsOnlyAClientTheServersCASigned() throws {
        let pki = try TestPKI(TemporaryDirectory.url("rest-pki"), servers: ["rest"], clients: ["ferry"])
        let stranger = try TestPKI(TemporaryDirectory.url("rest-stranger"), servers: [], clients: ["ferry"])
        var seeding = HTTPClient.Options()
        (seeding.caBundle, seeding.clientCertificate, seeding.clientKey) = (pki.path("ca.pem"), pki.path("ferry.pem"), pki.path("ferry.key"))
        let system = try RESTSystem(tls: (pki.path("rest.pem"), pki.path("rest.key"), pki.path("ca.pem")), clientOptions: seeding)
        try system.seed("people", Self.people)
        let url = system.url("/plain/people")
        #expect(url.hasPrefix("https://"))
        let trusted = try readAll(adapter("{ url: \"\(url)\", ca: \(pki.path("ca.pem")), cert: \(pki.path("ferry.pem")), key: \(pki.path("ferry.key")) }"))
        #expect(trusted.ids.count == 7)
        for (what, yaml) in [
            ("no client certificate", "{ url: \"\(url)\", ca: \(pki.path("ca.pem")), retries: 0 }"),
            ("a certificate from another CA", "{ url: \"\(url)\", ca: \(pki.path("ca.pem")), cert: \(stranger.path("ferry.pem")), key: \(stranger.path("ferry.key")), retries: 0 }"),
            ("no CA for the server", "{ url: \"\(url)\", cert: \(pki.path("ferry.pem")), key: \(pki.path("ferry.key")), retries: 0 }"),
        ] {
            #expect(throws: FerryError.self, "\(what) was let in") { try readAll(adapter(yaml)) }
        }
    }
}

/// Documents over HTTP against the real REST server: downloaded from a URL field, and
/// uploaded as multipart/form-data or as raw bodies.
@Suite struct HTTPDocumentTests {
    let scan = Data("%PDF-1.7\n".utf8) + Data((0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })

    func file(_ data: Data) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-http-doc-\(UUID().uuidString)")
        try data.write(to: url)
        return url
    }

    func reference(_ path: URL) -> DocumentRef {
        DocumentRef(digest: "sha256:" + hex(FerrySeal.Hasher.sha256([UInt8](scan))), size: Int64(scan.count), mediaType: MediaType.pdf, name: "不动产权证书 1.pdf",
            localPath: path.path)
    }

    @Test func aURLFieldIsDownloadedAsADocumentWithItsTypeAndName() throws {
        let system = try RESTSystem()
        try system.putFile("deed%201.pdf", [UInt8](scan), type: "application/pdf")
        try system.seed("certs", [["id": "C1", "updated": "2026-11-30T09:00:00Z", "file": "/files/deed%201.pdf"],
            ["id": "C2", "updated": "2026-11-30T09:00:01Z", "file": .string(system.url("/files/missing.pdf"))],
            ["id": "C3", "updated": "2026-11-30T09:00:02Z", "file": "http://203.0.113.9/files/x.pdf"]])
        let adapter = try HTTPAdapterTests().adapter("{ url: \"\(system.url("/plain/certs"))\", documents: [file] }")
        var reader = try adapter.read(since: nil, batchSize: 10)
        let batch = try #require(try reader.next())
        guard case .document(let document)? = batch.rows.first?["file"], let path = document.localPath else {
            Issue.record("no document: \(String(describing: batch.rows.first))")
            return
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == scan)
        #expect(document.mediaType == "application/pdf" && document.name == "deed 1.pdf" && document.size == Int64(scan.count))
        // A missing file, and a file on another site (credentials never leave the system's origin), set their rows aside.
        #expect(batch.malformed.count == 2)
        #expect(batch.malformed.contains { $0.reason.contains("answered 404") })
        #expect(batch.malformed.contains { $0.reason.contains("another site") })
        #expect(!(try system.log().contains { ($0["path"]?.text ?? "").contains("x.pdf") }))
    }

    @Test func aRecordAndItsDocumentGoAsOneMultipartRequest() throws {
        let system = try RESTSystem()
        let adapter = try HTTPAdapterTests().adapter("{ url: \"\(system.url("/c/certs"))\" }")
        let path = try file(scan)
        let outcomes = try adapter.apply([SinkRow(key: ["id": "C1"], values: ["id": "C1", "updated": "2026-11-30T09:00:00Z", "scan": .document(reference(path))])])
        #expect(outcomes == [.applied])
        let stored = try #require(try system.files().first)
        #expect(stored["name"] == "不动产权证书 1.pdf")
        #expect(stored["sha256"] == .string(hex(FerrySeal.Hasher.sha256([UInt8](scan)))))
        #expect(stored["content_type"] == "application/pdf")
        // The record itself carries the reference, not the bytes, and never a local path.
        let record = try #require(try system.records("certs").first)
        guard case .object(let scanField)? = record["scan"] else { Issue.record("no reference in \(record)"); return }
        #expect(scanField["size"] == .int(Int64(scan.count)) && scanField["localPath"] == nil && scanField["path"] == nil)
        // The multipart body was a temporary file; none is left behind.
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path).contains { $0.hasPrefix("ferry-multipart-") }))
    }

    @Test func rawUploadsPutEachDocumentThenTheRecordWithItsURL() throws {
        let system = try RESTSystem()
        let adapter = try HTTPAdapterTests().adapter("{ url: \"\(system.url("/c/certs"))\", upload: raw, document_url: \"/files/{name}\" }")
        let outcomes = try adapter.apply([SinkRow(key: ["id": "C1"], values: ["id": "C1", "updated": "2026-11-30T09:00:00Z",
            "scan": .document(reference(try file(scan)))])])
        #expect(outcomes == [.applied])
        #expect(try system.files().first?["sha256"] == .string(hex(FerrySeal.Hasher.sha256([UInt8](scan)))))
        guard case .object(let scanField)? = try system.records("certs").first?["scan"] else { Issue.record("no reference"); return }
        #expect(scanField["url"]?.text?.hasSuffix("/files/%E4%B8%8D%E5%8A%A8%E4%BA%A7%E6%9D%83%E8%AF%81%E4%B9%A6%201.pdf") == true)
        // upload: raw without document_url is refused where it is written.
        #expect(throws: FerryError.self) { try HTTPAdapterTests().adapter("{ url: \"\(system.url("/c/certs"))\", upload: raw }") }
    }

    @Test func aHostileFileNameCannotBreakOutOfItsPartHeader() {
        let line = Multipart.disposition("scan", "a\"\r\nX-Evil: 1\\.pdf")
        #expect(!line.contains("\r") && !line.contains("\n"))
        #expect(line.hasSuffix(#"filename="a___X-Evil: 1_.pdf""#))
    }
}
