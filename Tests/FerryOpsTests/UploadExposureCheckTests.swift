import Foundation
import Testing
import FerryTestSupport
import FerryCore
@testable import FerryNode
@testable import FerryOps

/// `ferry check` warns where a node takes pushed bundles beyond loopback without client
/// certificates: anyone who reaches that port can make the node read what they post.
@Suite struct UploadExposureCheckTests {
    func notes(via http: String, tls: String? = nil) throws -> [String] {
        let directory = TemporaryDirectory.url("exposure")
        _ = try Scaffold.create(in: directory)
        let config = directory.appendingPathComponent("ferry.yaml")
        var text = try String(contentsOf: config, encoding: .utf8).replacingOccurrences(
            of: "via: { dir: gap/extranet-to-jinhong }", with: "via: { dir: gap/extranet-to-jinhong, http: \"\(http)\" }")
        if let tls {
            text = text.replacingOccurrences(of: "key: keys/jinhong-gw.key }", with: "key: keys/jinhong-gw.key, tls: \(tls) }")
        }
        try Data(text.utf8).write(to: config)
        return try Deployment.load(config.path).check().notes.filter { $0.contains("without client certificates") }
    }

    @Test func anEndpointBeyondLoopbackWithoutClientCertificatesIsWarnedOf() throws {
        let plain = try notes(via: "http://10.20.0.5:9464")
        #expect(plain.count == 1)
        #expect(plain.first?.contains("node jinhong-gw") == true && plain.first?.contains("client_ca") == true, "\(plain)")
        #expect(try notes(via: "https://gw.jinhong.example:9464", tls: "{ cert: pki/gw.pem, key: pki/gw.key }").count == 1)
    }

    @Test func loopbackOrMutualTLSIsNotWarnedOf() throws {
        #expect(try notes(via: "http://127.0.0.1:9464").isEmpty)
        #expect(try notes(via: "http://localhost:9464").isEmpty)
        #expect(try notes(via: "http://[::1]:9464").isEmpty)
        #expect(try notes(via: "https://10.20.0.5:9464", tls: "{ cert: pki/gw.pem, key: pki/gw.key, client_ca: pki/ca.pem }").isEmpty)
    }

    @Test func loopbackIsOnlyLoopback() {
        for host in ["127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "::1", "[::1]"] { #expect(Loopback.isName(host), "\(host)") }
        for host in ["0.0.0.0", "10.0.0.1", "127.0.0.1.evil.example", "127.0.0", "::", "", "localhost.example"] {
            #expect(!Loopback.isName(host), "\(host)")
        }
    }
}
