public import Foundation
import Glibc

/// Loopback ports for servers a test starts.
public enum TestPort {
    /// A port on 127.0.0.1 that nothing listens on now, below Linux's ephemeral range
    /// (32768–60999), so no outgoing connection of a test running in parallel can hold it.
    /// Another test may still take it first; the range is wide enough that it rarely does.
    public static func free(in range: Range<Int> = 10000..<32000) -> Int {
        for _ in 0..<50 {
            let port = Int.random(in: range)
            if isFree(port) { return port }
        }
        return Int.random(in: range)
    }

    static func isFree(_ port: Int) -> Bool {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return false }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
