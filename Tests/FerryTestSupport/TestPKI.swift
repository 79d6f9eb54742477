public import Foundation

/// A throwaway certificate authority with a server certificate for 127.0.0.1 and client
/// certificates, made by the openssl command line: real PEM files, as operators have them.
public struct TestPKI {
    public let directory: URL

    public init(_ directory: URL, servers: [String], clients: [String]) throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", path("ca.key"), "-out", path("ca.pem"), "-subj", "/CN=Ferry Test CA", "-days", "2"])
        for (name, usage) in servers.map({ ($0, "serverAuth") }) + clients.map({ ($0, "clientAuth") }) {
            let extensions = "extendedKeyUsage=\(usage)\n" + (usage == "serverAuth" ? "subjectAltName=IP:127.0.0.1\n" : "")
            try Data(extensions.utf8).write(to: directory.appendingPathComponent("\(name).ext"))
            try openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", path("\(name).key"), "-out", path("\(name).csr"), "-subj", "/CN=\(name)"])
            try openssl(["x509", "-req", "-in", path("\(name).csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"), "-CAcreateserial",
                "-out", path("\(name).pem"), "-days", "2", "-extfile", path("\(name).ext")])
        }
    }

    public func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "openssl \(arguments.joined(separator: " ")) failed"])
        }
    }
}
