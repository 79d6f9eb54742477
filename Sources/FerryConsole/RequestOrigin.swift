/// Decisions about where a request comes from, as values: which page sent a POST, and
/// which address a login is recorded from.
enum RequestOrigin {
    /// Why a state-changing request is refused as cross-site, or nil when it may go on.
    ///
    /// Browsers send `Sec-Fetch-Site` (W3C Fetch Metadata) and `Origin` (RFC 6454 §7) with
    /// every POST; a form on another site cannot forge either. Only `same-origin` (or
    /// `none`, a user's own navigation) passes, and an `Origin` must name this console's
    /// own scheme (`https` when served over TLS), host and port, or be `null` beside `Sec-Fetch-Site: same-origin` (what browsers
    /// send under the console's `no-referrer` policy). A client that sends neither is not
    /// a browser, so no other site can be riding on its cookies; it is let through
    /// (scripts, `curl`).
    static func crossSiteRefusal(origin: String?, fetchSite: String?, authority: String?, tls: Bool) -> String? {
        if let fetchSite, !["same-origin", "none"].contains(fetchSite.lowercased()) {
            return "cross-site request (Sec-Fetch-Site)"
        }
        guard let origin else { return nil }
        // Under `Referrer-Policy: no-referrer` a browser sends `Origin: null` from the
        // console's own pages too (Fetch standard, "serializing a request origin"); then
        // its `Sec-Fetch-Site: same-origin`, which no page can forge, vouches for it.
        if origin == "null", fetchSite?.lowercased() == "same-origin" { return nil }
        guard let authority, origin.lowercased().hasPrefix(tls ? "https://" : "http://"), let host = host(ofOrigin: origin),
            host == authority.lowercased()
        else {
            return "cross-site request (Origin)"
        }
        return nil
    }

    /// `https://host:port` → `host:port`; nil for `null` and anything not an origin.
    static func host(ofOrigin origin: String) -> String? {
        let lower = origin.lowercased()
        for scheme in ["http://", "https://"] where lower.hasPrefix(scheme) {
            let host = lower.dropFirst(scheme.count)
            return host.isEmpty || host.contains("/") ? nil : String(host)
        }
        return nil
    }

    /// The address a request is recorded from: the peer's socket address, or, when the peer
    /// is a proxy the node's config trusts, the nearest untrusted address in its
    /// `X-Forwarded-For` (RFC 7239 §5.2 semantics: read right to left, each trusted hop
    /// vouching for the one before it).
    static func client(peer: String?, forwardedFor: String?, trustedProxies: Set<String>) -> String {
        guard let peer else { return "unknown" }
        guard trustedProxies.contains(peer), let forwardedFor else { return peer }
        let hops = forwardedFor.utf8.split(separator: UInt8(ascii: ",")).map { String(decoding: $0, as: UTF8.self).trimmingSpaces }
        for hop in hops.reversed() where !trustedProxies.contains(hop) {
            return isAddress(hop) ? hop : peer
        }
        return peer
    }

    /// An IPv4 or IPv6 address as text (what a proxy writes), nothing else: the value goes
    /// into the audit log.
    static func isAddress(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 45 && text.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F")) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
        }
    }
}

extension String {
    var trimmingSpaces: String {
        String(decoding: utf8.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed(), as: UTF8.self)
    }
}
