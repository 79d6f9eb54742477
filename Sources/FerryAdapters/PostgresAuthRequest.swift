import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a PostgreSQL-protocol server asks for to log in: the first message it answers a
/// startup message with (`AuthenticationXXX`, message type `R`, PostgreSQL protocol 3.0,
/// "Message Formats"). Ferry's client does cleartext, MD5 and SCRAM-SHA-256; a server
/// asking for something else (openGauss and GaussDB's SHA256 and SM3, Kerberos, GSSAPI)
/// is named in the error, with the workaround, instead of failing as a protocol error.
enum PostgresAuthRequest: Equatable {
    case ok
    case cleartext
    case md5
    /// SASL with these mechanisms (`SCRAM-SHA-256`, `SCRAM-SHA-256-PLUS`).
    case sasl([String])
    /// openGauss and GaussDB: request 10 with a stored-method word and salt, not a SASL list.
    case sha256
    /// openGauss and GaussDB: request 13, the Chinese SM3 hash.
    case sm3
    case other(code: Int32)
    /// An `ErrorResponse` instead (no such user or database, no pg_hba line), or bytes that
    /// are not a protocol message.
    case refused
    case unreadable

    /// Whether Ferry's client can answer it.
    var supported: Bool {
        switch self {
        case .ok, .cleartext, .md5: return true
        case .sasl(let mechanisms): return mechanisms.contains("SCRAM-SHA-256")
        default: return false
        }
    }

    /// The method's name as a person configuring the server knows it.
    var name: String {
        switch self {
        case .ok: return "trust"
        case .cleartext: return "password"
        case .md5: return "md5"
        case .sasl(let mechanisms): return "SASL (\(mechanisms.joined(separator: ", ")))"
        case .sha256: return "sha256 (openGauss/GaussDB)"
        case .sm3: return "sm3 (openGauss/GaussDB)"
        case .other(let code):
            switch code {
            case 2: return "Kerberos V5"
            case 6: return "SCM credentials"
            case 7, 8, 9: return "GSSAPI/SSPI"
            default: return "request code \(code)"
            }
        case .refused: return "an error before authentication"
        case .unreadable: return "a non-PostgreSQL answer"
        }
    }

    /// Reads the server's first message: type byte, big-endian length, request code, payload.
    init(message bytes: [UInt8]) {
        guard bytes.count >= 9, bytes[0] == UInt8(ascii: "R") else {
            self = bytes.first == UInt8(ascii: "E") ? .refused : .unreadable
            return
        }
        func int32(_ at: Int) -> Int32 { Int32(bitPattern: bytes[at..<at + 4].reduce(0) { $0 << 8 | UInt32($1) }) }
        let length = Int(int32(1))
        let payload = Array(bytes[9..<min(bytes.count, 1 + max(length, 8))])
        switch int32(5) {
        case 0: self = .ok
        case 3: self = .cleartext
        case 5: self = .md5
        case 10:
            // SASL's payload is NUL-terminated mechanism names; openGauss puts a 4-byte
            // word first, whose leading zero reads as an empty list.
            let names = payload.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            let mechanisms = Array(names.prefix { !$0.isEmpty })
            let printable = mechanisms.allSatisfy { $0.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F } }
            self = !mechanisms.isEmpty && printable ? .sasl(mechanisms) : .sha256
        case 13: self = .sm3
        case let code: self = .other(code: code)
        }
    }

    /// Asks the server at `host:port` what it wants for `user` on `database`: connects,
    /// sends a startup message and reads the first answer, then hangs up. nil when the
    /// server cannot be reached or says nothing within `timeoutSeconds`.
    static func probe(host: String, port: Int, user: String, database: String, timeoutSeconds: Int) -> PostgresAuthRequest? {
        #if canImport(Glibc)
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &found) == 0, let address = found else { return nil }
        defer { freeaddrinfo(found) }
        let socket = Glibc.socket(address.pointee.ai_family, address.pointee.ai_socktype, address.pointee.ai_protocol)
        guard socket >= 0 else { return nil }
        defer { close(socket) }
        var limit = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        _ = setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        guard connect(socket, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 else { return nil }
        var body: [UInt8] = [0, 3, 0, 0]
        for (key, value) in [("user", user), ("database", database)] { body += Array(key.utf8) + [0] + Array(value.utf8) + [0] }
        body.append(0)
        let length = UInt32(body.count + 4)
        let startup = [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)] + body
        guard startup.withUnsafeBytes({ send(socket, $0.baseAddress, $0.count, 0) }) == startup.count else { return nil }
        var answer = [UInt8](repeating: 0, count: 512)
        let got = answer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
        guard got > 0 else { return nil }
        return PostgresAuthRequest(message: Array(answer.prefix(got)))
        #else
        return nil
        #endif
    }
}
