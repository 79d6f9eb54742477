import Foundation
import Testing
import FerryCore
@testable import FerryAdapters
#if canImport(Glibc)
import Glibc
#endif

/// What a PostgreSQL-protocol server asks for at login, read as a value, and the error a
/// person gets from a server that asks for a method Ferry's client cannot do.
struct PostgresAuthRequestTests {
    /// An `AuthenticationXXX` message: `R`, length, request code, payload.
    static func request(_ code: Int32, _ payload: [UInt8] = []) -> [UInt8] {
        func int32(_ value: Int32) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
        return [UInt8(ascii: "R")] + int32(Int32(8 + payload.count)) + int32(code) + payload
    }

    /// openGauss's SHA256 request: stored-method word (2), 64 salt characters, 8 token bytes, iterations.
    static let openGaussSHA256 = request(10, [0, 0, 0, 2] + Array(String(repeating: "a1", count: 32).utf8) + Array("tok3n123".utf8) + [0, 0, 0x27, 0x10])

    @Test func theMethodsTheClientDoesAreSupported() {
        #expect(PostgresAuthRequest(message: Self.request(0)) == .ok)
        #expect(PostgresAuthRequest(message: Self.request(3)) == .cleartext)
        #expect(PostgresAuthRequest(message: Self.request(5, [1, 2, 3, 4])) == .md5)
        let scram = PostgresAuthRequest(message: Self.request(10, Array("SCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0\0".utf8)))
        #expect(scram == .sasl(["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"]) && scram.supported)
        #expect(!PostgresAuthRequest(message: Self.request(10, Array("SCRAM-SHA-256-PLUS\0\0".utf8))).supported, "channel binding only")
    }

    @Test func openGaussMethodsAndOthersAreNamed() {
        #expect(PostgresAuthRequest(message: Self.openGaussSHA256) == .sha256)
        #expect(PostgresAuthRequest(message: Self.request(13, Array(repeating: 7, count: 72))) == .sm3)
        #expect(PostgresAuthRequest(message: Self.request(7)).name == "GSSAPI/SSPI")
        #expect(PostgresAuthRequest(message: Self.request(2)).name == "Kerberos V5")
        for request in [PostgresAuthRequest.sha256, .sm3, .other(code: 7)] { #expect(!request.supported) }
        #expect(PostgresAuthRequest(message: Array("EFATAL".utf8) + [0, 0, 0, 0]) == .refused)
        #expect(PostgresAuthRequest(message: Array("HTTP/1.1 400".utf8)) == .unreadable)
        #expect(PostgresAuthRequest(message: [UInt8(ascii: "R"), 0, 0]) == .unreadable, "a cut message is not read past its end")
    }

    /// A server on 127.0.0.1 that answers every startup with `answer` and hangs up. Its
    /// thread alone closes the listening socket, after a few clients or ten idle seconds, so
    /// no test ever touches a descriptor that was closed and given to someone else.
    struct FakeServer {
        let port: Int

        init(answer: [UInt8], clients: Int = 4) throws {
            let listener = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0 }
            }
            guard bound, listen(listener, 8) == 0 else {
                close(listener)
                throw FerryError(.internalFailure, "the fake server cannot listen")
            }
            var wait = timeval(tv_sec: 10, tv_usec: 0)
            _ = setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
            port = Int(UInt16(bigEndian: address.sin_port))
            Thread.detachNewThread {
                defer { close(listener) }
                for _ in 0..<clients {
                    let client = accept(listener, nil, nil)
                    guard client >= 0 else { return }
                    var startup = [UInt8](repeating: 0, count: 1024)
                    _ = startup.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
                    _ = answer.withUnsafeBytes { send(client, $0.baseAddress, $0.count, 0) }
                    usleep(100_000)
                    close(client)
                }
            }
        }
    }

    @Test(arguments: [("sha256", openGaussSHA256), ("sm3", request(13, Array(repeating: 7, count: 72)))])
    func aServerAskingForAMethodTheClientLacksIsNamed(_ method: String, _ answer: [UInt8]) throws {
        let server = try FakeServer(answer: answer)
        var options = PostgresAdapter.Options(host: "127.0.0.1", user: "registry", database: "reg", table: "t", cursor: "updated")
        options.port = server.port
        options.password = "secret-not-shown"
        options.timeoutSeconds = 5
        let error = try #require(throws: FerryError.self) { try PostgresAdapter(options: options).check() }
        #expect(error.message.contains(method) && error.message.contains("openGauss"), "\(error)")
        #expect(error.hint?.contains("md5") == true && error.hint?.contains("SCRAM") == true)
        #expect(error.adapterFailure == .configuration, "retrying cannot help")
        #expect(!error.description.contains("secret-not-shown"))
    }
}
