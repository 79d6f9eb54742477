import Testing
@testable import FerryConsole

/// Where a request comes from, decided without I/O.
@Suite struct RequestOriginTests {
    @Test func onlyTheConsolesOwnPagesAndNonBrowsersMayPost() {
        let host = "127.0.0.1:9470"
        #expect(RequestOrigin.crossSiteRefusal(origin: nil, fetchSite: nil, authority: host) == nil, "curl and scripts")
        #expect(RequestOrigin.crossSiteRefusal(origin: "http://127.0.0.1:9470", fetchSite: "same-origin", authority: host) == nil)
        #expect(RequestOrigin.crossSiteRefusal(origin: "https://127.0.0.1:9470", fetchSite: nil, authority: host) == nil)
        #expect(RequestOrigin.crossSiteRefusal(origin: "http://evil.example", fetchSite: "cross-site", authority: host) != nil)
        #expect(RequestOrigin.crossSiteRefusal(origin: nil, fetchSite: "same-site", authority: host) != nil, "a sibling host is another site")
        #expect(RequestOrigin.crossSiteRefusal(origin: "null", fetchSite: nil, authority: host) != nil, "sandboxed frames send null")
        #expect(RequestOrigin.crossSiteRefusal(origin: "http://127.0.0.1:9471", fetchSite: nil, authority: host) != nil)
        #expect(RequestOrigin.crossSiteRefusal(origin: "http://127.0.0.1:9470", fetchSite: nil, authority: nil) != nil)
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
}
