public import Foundation
public import FerryCore
import CFerryCurl

extension FerryError.Code {
    /// The far side or the network failed in a way worth retrying (5xx, 429, timeouts).
    public static let transportRetryable: Self = "transport.retryable"
    /// The far side refused the bundle (4xx other than 409/429): retrying will not help.
    public static let transportRefused: Self = "transport.refused"
}

/// Pushes bundles over HTTP(S) to a receiving endpoint, for gaps that pass HTTP, through
/// libcurl: streamed from disk, with mTLS, a CA bundle and timeouts.
public struct HTTPPush: Sendable {
    public struct Options: Sendable {
        /// The endpoint; the bundle's file name is appended as the last path component.
        public var url: String
        public var caBundle: String?
        public var clientCertificate: String?
        public var clientKey: String?
        public var connectTimeout: Int = 10
        /// Whole-transfer limit in seconds.
        public var timeout: Int = 300
        /// Abort when slower than this many bytes/s for `lowSpeedTime` seconds.
        public var lowSpeedLimit: Int = 1024
        public var lowSpeedTime: Int = 60

        public init(url: String) { self.url = url }
    }

    public let options: Options

    public init(options: Options) {
        self.options = options
        _ = Self.initialised
    }

    /// curl_global_init is not thread-safe; it runs once, before any handle exists.
    private static let initialised: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    /// Sends the file; returns the HTTP status (2xx, or 409 when the far side already has it).
    @discardableResult
    public func ship(_ file: URL) throws -> Int {
        guard let handle = curl_easy_init() else { throw FerryError(.transportRetryable, "libcurl could not start a transfer") }
        defer { curl_easy_cleanup(handle) }
        let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.int64Value ?? -1
        guard size >= 0, let stream = fopen(file.path, "rb") else {
            throw FerryError(.transport, "cannot read \(file.path) to push it")
        }
        defer { fclose(stream) }
        let target = options.url.hasSuffix("/") ? options.url + file.lastPathComponent : options.url + "/" + file.lastPathComponent
        var headers: UnsafeMutablePointer<curl_slist>?
        headers = curl_slist_append(headers, "Content-Type: application/vnd.ferry.bundle")
        headers = curl_slist_append(headers, "Expect:")
        defer { curl_slist_free_all(headers) }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let response = ResponseBody()
        let context = Unmanaged.passUnretained(response).toOpaque()

        var setup = [
            cferry_curl_setopt_string(handle, CURLOPT_URL, target),
            cferry_curl_setopt_long(handle, CURLOPT_POST, 1),
            cferry_curl_setopt_pointer(handle, CURLOPT_READDATA, UnsafeMutableRawPointer(stream)),
            cferry_curl_setopt_offset(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(size)),
            cferry_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headers),
            cferry_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, options.connectTimeout),
            cferry_curl_setopt_long(handle, CURLOPT_TIMEOUT, options.timeout),
            cferry_curl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, options.lowSpeedLimit),
            cferry_curl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, options.lowSpeedTime),
            cferry_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1),
            cferry_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context),
            cferry_curl_setopt_write(handle) { data, size, count, context in
                guard let data, let context else { return 0 }
                let body = Unmanaged<ResponseBody>.fromOpaque(context).takeUnretainedValue()
                // Keep only the start of the answer: it is for error messages, not content.
                if body.bytes.count < 4096 {
                    body.bytes.append(contentsOf: UnsafeRawBufferPointer(start: data, count: size * count))
                }
                return size * count
            },
        ]
        errorBuffer.withUnsafeMutableBufferPointer { buffer in
            setup.append(cferry_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(buffer.baseAddress)))
            if let ca = options.caBundle { setup.append(cferry_curl_setopt_string(handle, CURLOPT_CAINFO, ca)) }
            if let certificate = options.clientCertificate { setup.append(cferry_curl_setopt_string(handle, CURLOPT_SSLCERT, certificate)) }
            if let key = options.clientKey { setup.append(cferry_curl_setopt_string(handle, CURLOPT_SSLKEY, key)) }
        }
        if let failed = setup.first(where: { $0 != CURLE_OK }) {
            throw FerryError(.transport, "libcurl rejected an option: \(String(cString: curl_easy_strerror(failed)))")
        }
        let result = errorBuffer.withUnsafeMutableBufferPointer { _ in curl_easy_perform(handle) }
        guard result == CURLE_OK else {
            let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let reason = detail.isEmpty ? String(cString: curl_easy_strerror(result)) : detail
            let tls = [CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CERTPROBLEM, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE].contains(result)
            throw FerryError(.transportRetryable, "push of \(file.lastPathComponent) to \(options.url) failed: \(reason)",
                hint: tls
                    ? "TLS failed: check the channel's ca, cert and key files, and that the receiver's client_ca signed this node's certificate"
                    : "check the endpoint and the network path through the gap; the lane is held and retried")
        }
        var status = 0
        _ = cferry_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        let answer = String(decoding: response.bytes.prefix(300), as: UTF8.self)
        switch status {
        case 200..<300, 409: return status
        case 429, 500...599:
            throw FerryError(.transportRetryable, "\(options.url) answered \(status): \(answer)", hint: "the receiver is busy or failing; the push is retried")
        default:
            throw FerryError(.transportRefused, "\(options.url) refused \(file.lastPathComponent) with \(status): \(answer)",
                hint: "check the receiving endpoint's configuration")
        }
    }
}

/// Collects the start of a response body across libcurl's write callbacks.
private final class ResponseBody {
    var bytes: [UInt8] = []
}
