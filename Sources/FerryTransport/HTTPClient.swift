public import Foundation
import FerryCore
import CFerryCurl

/// One HTTP exchange through libcurl, blocking, for the bundle push and the http adapter:
/// the single place Ferry speaks HTTP outwards, so TLS, proxy and timeout settings mean
/// the same thing everywhere.
public struct HTTPClient: Sendable {
    public struct Options: Sendable {
        public var caBundle: String?
        public var clientCertificate: String?
        public var clientKey: String?
        /// `http://host:port` or `socks5://…`; nil leaves libcurl's environment proxy rules alone.
        public var proxy: String?
        public var connectTimeout = 10
        /// Whole-exchange limit in seconds.
        public var timeout = 300
        /// Abort when slower than this many bytes/s for `lowSpeedTime` seconds.
        public var lowSpeedLimit = 1024
        public var lowSpeedTime = 60
        /// A larger answer is an error, unless `truncateResponse`, which keeps only its start.
        public var responseLimit = 64 << 20
        public var truncateResponse = false

        public init() {}
    }

    public struct Request: Sendable {
        public var method: String
        public var url: String
        public var headers: [String]
        public var body: Body
        /// Where the answer's body goes instead of memory: a file, written as it arrives,
        /// refused past `limit` bytes (documents downloaded by the http adapter).
        public var download: (file: URL, limit: Int64)?

        public enum Body: Sendable {
            case none
            case bytes([UInt8])
            /// Streamed from disk, never loaded whole.
            case file(URL)
        }

        public init(method: String = "GET", url: String, headers: [String] = [], body: Body = .none) {
            self.method = method
            self.url = url
            self.headers = headers
            self.body = body
        }
    }

    public struct Response: Sendable {
        public var status: Int
        /// Header names lowercased; the last value wins when a name repeats.
        public var headers: [String: String]
        public var body: [UInt8]
        public var truncated: Bool

        public func header(_ name: String) -> String? { headers[name.lowercased()] }

        /// The start of the body, for error messages.
        public var excerpt: String { String(decoding: body.prefix(300), as: UTF8.self) }
    }

    /// What went wrong below HTTP, so callers can tell a slow server from a broken setup.
    public enum Failure: Sendable {
        case timeout
        case tls
        case connection
    }

    public let options: Options

    public init(options: Options) {
        self.options = options
        _ = Self.initialised
    }

    /// curl_global_init is not thread-safe; it runs once, before any handle exists.
    private static let initialised: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    /// Performs the exchange. Any answer from the server is returned, whatever its status;
    /// only failures below HTTP throw, as `transport.retryable` with a `Failure` in the hint.
    public func perform(_ request: Request) throws -> Response {
        guard let handle = curl_easy_init() else { throw FerryError(.transportRetryable, "libcurl could not start a transfer") }
        defer { curl_easy_cleanup(handle) }
        var headers: UnsafeMutablePointer<curl_slist>?
        for header in request.headers { headers = curl_slist_append(headers, header) }
        headers = curl_slist_append(headers, "Expect:")
        defer { curl_slist_free_all(headers) }
        let collector = Collector(limit: options.responseLimit, truncate: options.truncateResponse)
        if let download = request.download {
            guard FileManager.default.createFile(atPath: download.file.path, contents: nil, attributes: [.posixPermissions: 0o600]),
                let sink = FileHandle(forWritingAtPath: download.file.path)
            else { throw FerryError(.transport, "cannot create \(download.file.path) to download into") }
            collector.file = (sink, download.limit)
        }
        defer { try? collector.file?.handle.close() }
        var stream: UnsafeMutablePointer<FILE>?
        defer { if let stream { fclose(stream) } }
        let setup = exchangeOptions(handle, url: request.url, headers: headers, collector: collector)
            + (try bodyOptions(handle, request, stream: &stream))
        if let failed = setup.first(where: { $0 != CURLE_OK }) {
            throw FerryError(.transport, "libcurl rejected an option: \(String(cString: curl_easy_strerror(failed)))",
                hint: "check the URL, proxy and TLS file settings")
        }

        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let result = errorBuffer.withUnsafeMutableBufferPointer { buffer in
            _ = cferry_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(buffer.baseAddress))
            let result = curl_easy_perform(handle)
            // The buffer is only valid inside this closure: libcurl must not keep it.
            _ = cferry_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, nil)
            return result
        }
        if result == CURLE_WRITE_ERROR, collector.overflowed {
            throw FerryError(.transport, "\(Self.redacted(request.url)) answered more than \(request.download?.limit ?? Int64(options.responseLimit)) bytes",
                hint: request.download == nil ? "ask for smaller pages" : "the document is larger than this node takes (max_document_size)")
        }
        guard result == CURLE_OK else {
            let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let reason = detail.isEmpty ? String(cString: curl_easy_strerror(result)) : detail
            throw FerryError(.transportRetryable, "\(request.method) \(Self.redacted(request.url)) failed: \(reason)",
                hint: Self.hint(for: Self.failure(result)))
        }
        var status = 0
        _ = cferry_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return Response(status: status, headers: collector.headers, body: collector.bytes, truncated: collector.overflowed)
    }

    /// Sets the URL, headers, limits, TLS files, proxy and the callbacks that fill
    /// `collector`; returns each option's result, for the caller to check at once.
    private func exchangeOptions(
        _ handle: UnsafeMutableRawPointer, url: String, headers: UnsafeMutablePointer<curl_slist>?, collector: Collector
    ) -> [CURLcode] {
        // `collector` outlives the transfer: `perform` holds it until the answer is read.
        let context = Unmanaged.passUnretained(collector).toOpaque()
        var setup = [
            cferry_curl_setopt_string(handle, CURLOPT_URL, url),
            cferry_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headers),
            cferry_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, options.connectTimeout),
            cferry_curl_setopt_long(handle, CURLOPT_TIMEOUT, options.timeout),
            cferry_curl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, options.lowSpeedLimit),
            cferry_curl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, options.lowSpeedTime),
            cferry_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1),
            // Only http and https, also after a redirect: a URL in a config must not reach files.
            cferry_curl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https"),
            cferry_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context),
            cferry_curl_setopt_write(handle) { data, size, count, context in
                guard let data, let context else { return 0 }
                let collector = Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue()
                return collector.body(UnsafeRawBufferPointer(start: data, count: size * count)) ? size * count : 0
            },
            cferry_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, context),
            cferry_curl_setopt_header(handle) { data, size, count, context in
                guard let data, let context else { return 0 }
                Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue().header(UnsafeRawBufferPointer(start: data, count: size * count))
                return size * count
            },
        ]
        if let ca = options.caBundle { setup.append(cferry_curl_setopt_string(handle, CURLOPT_CAINFO, ca)) }
        if let certificate = options.clientCertificate { setup.append(cferry_curl_setopt_string(handle, CURLOPT_SSLCERT, certificate)) }
        if let key = options.clientKey { setup.append(cferry_curl_setopt_string(handle, CURLOPT_SSLKEY, key)) }
        if let proxy = options.proxy { setup.append(cferry_curl_setopt_string(handle, CURLOPT_PROXY, proxy)) }
        return setup
    }

    /// Sets the method and the body: none, bytes libcurl copies, or a file streamed from
    /// `stream`, which this opens and the caller closes after the transfer.
    private func bodyOptions(_ handle: UnsafeMutableRawPointer, _ request: Request, stream: inout UnsafeMutablePointer<FILE>?) throws -> [CURLcode] {
        var setup: [CURLcode] = []
        switch request.body {
        case .none:
            setup.append(request.method == "GET"
                ? cferry_curl_setopt_long(handle, CURLOPT_HTTPGET, 1)
                : cferry_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method))
        case .bytes(let bytes):
            // COPYPOSTFIELDS: libcurl keeps its own copy, so no pointer outlives this call.
            setup.append(cferry_curl_setopt_offset(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bytes.count)))
            setup.append(bytes.isEmpty
                ? cferry_curl_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, "")
                : bytes.withUnsafeBufferPointer { cferry_curl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0.baseAddress)) })
            if request.method != "POST" { setup.append(cferry_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method)) }
        case .file(let file):
            let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.int64Value ?? -1
            stream = size >= 0 ? fopen(file.path, "rb") : nil
            guard let stream else { throw FerryError(.transport, "cannot read \(file.path) to send it") }
            setup += [
                cferry_curl_setopt_long(handle, CURLOPT_POST, 1),
                cferry_curl_setopt_pointer(handle, CURLOPT_READDATA, UnsafeMutableRawPointer(stream)),
                cferry_curl_setopt_offset(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(size)),
            ]
            if request.method != "POST" { setup.append(cferry_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method)) }
        }
        return setup
    }

    /// Which kind of failure below HTTP a libcurl result is.
    private static func failure(_ result: CURLcode) -> Failure {
        switch result {
        case CURLE_OPERATION_TIMEDOUT: return .timeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CERTPROBLEM, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_INITFAILED:
            return .tls
        default: return .connection
        }
    }

    /// The words a hint starts with, so callers can recognise the failure kind.
    public static func hint(for failure: Failure) -> String {
        switch failure {
        case .timeout: return "timed out: the server is slow or unreachable; raise the timeout if it is only slow"
        case .tls: return "TLS failed: check the ca, cert and key files, and that the server's CA signed the client certificate"
        case .connection: return "could not connect: check the URL, the proxy and the network path"
        }
    }

    /// The URL without any user:password part and without its query, for messages.
    public static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "(a malformed URL)" }
        components.user = nil
        components.password = nil
        components.query = nil
        return components.string ?? "(a URL)"
    }
}

/// Gathers an answer's headers and body across libcurl's callbacks.
private final class Collector {
    let limit: Int
    let truncate: Bool
    var bytes: [UInt8] = []
    var headers: [String: String] = [:]
    var overflowed = false
    /// A download's file and its limit: the body goes there, not into `bytes`.
    var file: (handle: FileHandle, limit: Int64)?
    var written: Int64 = 0

    init(limit: Int, truncate: Bool) {
        self.limit = limit
        self.truncate = truncate
    }

    /// false stops the transfer.
    func body(_ chunk: UnsafeRawBufferPointer) -> Bool {
        if let file {
            written += Int64(chunk.count)
            guard written <= file.limit else {
                overflowed = true
                return false
            }
            return (try? file.handle.write(contentsOf: Data(chunk))) != nil
        }
        if bytes.count + chunk.count > limit {
            overflowed = true
            if truncate {
                bytes.append(contentsOf: chunk.prefix(max(0, limit - bytes.count)))
                return true
            }
            return false
        }
        bytes.append(contentsOf: chunk)
        return true
    }

    func header(_ line: UnsafeRawBufferPointer) {
        let text = String(decoding: line, as: UTF8.self)
        if text.hasPrefix("HTTP/") {
            // A new response (after 100 Continue or a redirect) starts a fresh set.
            headers = [:]
            return
        }
        guard let colon = text.firstIndex(of: ":") else { return }
        let name = text[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
        headers[name] = text[text.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
