public import Foundation
public import FerryCore

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
    }

    /// Sends the file; returns the HTTP status (2xx, or 409 when the far side already has it).
    @discardableResult
    public func ship(_ file: URL) throws -> Int {
        var client = HTTPClient.Options()
        client.caBundle = options.caBundle
        client.clientCertificate = options.clientCertificate
        client.clientKey = options.clientKey
        client.connectTimeout = options.connectTimeout
        client.timeout = options.timeout
        client.lowSpeedLimit = options.lowSpeedLimit
        client.lowSpeedTime = options.lowSpeedTime
        // The answer is only for error messages: keep its start.
        client.responseLimit = 4096
        client.truncateResponse = true
        let target = options.url.hasSuffix("/") ? options.url + file.lastPathComponent : options.url + "/" + file.lastPathComponent
        let response: HTTPClient.Response
        do {
            response = try HTTPClient(options: client).perform(HTTPClient.Request(
                method: "POST", url: target, headers: ["Content-Type: application/vnd.ferry.bundle"], body: .file(file)))
        } catch var error as FerryError where error.code == .transportRetryable {
            error.message = "push of \(file.lastPathComponent): \(error.message)"
            if error.hint?.hasPrefix("TLS") != true {
                error.hint = (error.hint ?? "") + "; the lane is held and retried"
            }
            throw error
        }
        switch response.status {
        case 200..<300, 409: return response.status
        case 429, 500...599:
            throw FerryError(.transportRetryable, "\(options.url) answered \(response.status): \(response.excerpt)",
                hint: "the receiver is busy or failing; the push is retried")
        default:
            throw FerryError(.transportRefused, "\(options.url) refused \(file.lastPathComponent) with \(response.status): \(response.excerpt)",
                hint: "check the receiving endpoint's configuration")
        }
    }
}
