/// Names of this machine only: `localhost`, 127.0.0.0/8 and `::1` (RFC 6761 §6.3,
/// RFC 1122 §3.2.1.3, RFC 4291 §2.5.3). The one place Ferry decides what is loopback:
/// `ferry check` and `ferry run` warn about endpoints beyond it, and a console on it
/// answers only to these names (the DNS-rebinding defence).
public enum Loopback {
    /// `localhost`, `::1` (bracketed or not) or a dotted 127.0.0.0/8 address.
    public static func isName(_ name: String) -> Bool {
        let bare = name.hasPrefix("[") && name.hasSuffix("]") ? String(name.dropFirst().dropLast()) : name
        if bare.lowercased() == "localhost" || bare == "::1" { return true }
        let parts = bare.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// Whether a request's `Host` (RFC 9110 §7.2) is a loopback name with an optional
    /// decimal port: `127.0.0.1:9470`, `localhost`, `[::1]:9470`.
    public static func isAuthority(_ authority: String?) -> Bool {
        guard var host = authority?.lowercased(), !host.isEmpty else { return false }
        if host.hasPrefix("[") {
            return host.hasPrefix("[::1]") && (host.utf8.count == 5 || host.utf8.dropFirst(5).first == UInt8(ascii: ":"))
        }
        if let colon = host.lastIndex(of: ":") {
            guard host.utf8[host.index(after: colon)...].allSatisfy({ (0x30...0x39).contains($0) }) else { return false }
            host = String(host[..<colon])
        }
        return isName(host)
    }
}
