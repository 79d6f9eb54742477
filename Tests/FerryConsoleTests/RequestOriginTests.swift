import Testing
import FerryCore
@testable import FerryConsole

/// Where a request comes from, decided without I/O.
@Suite struct RequestOriginTests {
    @Test func onlyTheConsolesOwnPagesAndNonBrowsersMayPost() {
        let host = "127.0.0.1:9470"
        #expect(RequestOrigin.crossSiteRefusal(origin: nil, fetchSite: nil, authority: host, tls: false) == nil, "curl and scripts")
        #expect(RequestOrigin.crossSiteRefusal(origin: "http://127.0.0.1:9470", fetchSite: "same-origin", authority: host, tls: false) == nil)
        #expect(RequestOrigin.crossSiteRefusal(origin: "https://127.0.0.1:9470", fetchSite: nil, authority: host, tls: false) != nil, "another scheme")
        #expect(RequestOrigin.crossSiteRefusal(origin: "https://127.0.0.1:9470", fetchSite: nil, authority: host, tls: true) == nil)
        // Under the console's no-referrer policy Chromium sends Origin: null from the console's own forms.
        #expect(RequestOrigin.crossSiteRefusal(origin: "null", fetchSite: "same-origin", authority: host, tls: false) == nil)
        for site in [nil, "none", "same-site", "cross-site"] {
            #expect(RequestOrigin.crossSiteRefusal(origin: "null", fetchSite: site, authority: host, tls: false) != nil, "\(site ?? "-")")
        }
        #expect(RequestOrigin.crossSiteRefusal(origin: "http://evil.example", fetchSite: "cross-site", authority: host, tls: false) != nil)
        #expect(RequestOrigin.crossSiteRefusal(origin: nil, fetchSite: "same-site", authority: host, tls: false) != nil, "a sibling host is another site")
        #expect(RequestOrigin.crossSiteRefusal(origin: "http://127.0.0.1:9471", fetchSite: nil, authority: host, tls: false) != nil)
        #expect(RequestOrigin.crossSiteRefusal(origin: "http://127.0.0.1:9470", fetchSite: nil, authority: nil, tls: false) != nil)
    }

    @Test func forwardedForIsBelievedOnlyFromTrustedProxies() {
        #expect(RequestOrigin.client(peer: "10.0.0.5", forwardedFor: "1.2.3.4", trustedProxies: []) == "10.0.0.5")
        #expect(RequestOrigin.client(peer: "10.0.0.5", forwardedFor: "1.2.3.4", trustedProxies: ["10.0.0.5"]) == "1.2.3.4")
        // A client's own forged entry sits left of what the proxy appended.
        #expect(RequestOrigin.client(peer: "10.0.0.5", forwardedFor: "6.6.6.6, 1.2.3.4", trustedProxies: ["10.0.0.5"]) == "1.2.3.4")
        #expect(RequestOrigin.client(peer: "10.0.0.5", forwardedFor: "1.2.3.4, 10.0.0.6", trustedProxies: ["10.0.0.5", "10.0.0.6"]) == "1.2.3.4")
        #expect(RequestOrigin.client(peer: "10.0.0.5", forwardedFor: "<b>x</b>", trustedProxies: ["10.0.0.5"]) == "10.0.0.5", "not an address: not recorded")
        #expect(RequestOrigin.client(peer: nil, forwardedFor: nil, trustedProxies: []) == "unknown")
    }

    /// DNS rebinding: a loopback console answers only to loopback names.
    @Test func aLoopbackConsoleAnswersOnlyToLoopbackNames() {
        for authority in ["127.0.0.1:9470", "localhost:9470", "LOCALHOST", "[::1]:9470", "127.1.2.3:1"] {
            #expect(Loopback.isAuthority(authority), "\(authority)")
        }
        for authority in ["evil.example:9470", "127.0.0.1.evil.example", "[::1].evil", "127.0.0.1:x", "", "localhost.:1", "[::2]:1"] {
            #expect(!Loopback.isAuthority(authority), "\(authority)")
        }
        #expect(!Loopback.isAuthority(nil))
    }
}
