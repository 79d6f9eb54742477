import Foundation

/// Logged-in sessions, in memory: a restart logs everyone out, which is the safe side.
/// Tokens are 256 random bits; each session has its own CSRF token. Login attempts are
/// throttled here too (`LoginThrottle`).
actor ConsoleSessions {
    struct Session: Sendable {
        var token: String
        var user: String
        var role: ConsoleRole
        var csrf: String
        var expires: Date
        /// What the store said about the user at login (role and password hash, digested):
        /// when it no longer says so, the session ends.
        var stamp: String
    }

    let lifetime: TimeInterval
    private var sessions: [String: Session] = [:]
    private var throttle = LoginThrottle()
    private var refusals = HTTPRefusals()

    init(lifetime: TimeInterval) { self.lifetime = lifetime }

    func create(user: String, role: ConsoleRole, stamp: String) -> Session {
        let now = Date()
        sessions = sessions.filter { $0.value.expires > now }
        let session = Session(token: Self.token(), user: user, role: role, csrf: Self.token(), expires: now.addingTimeInterval(lifetime), stamp: stamp)
        sessions[session.token] = session
        return session
    }

    func session(_ token: String) -> Session? {
        guard let session = sessions[token] else { return nil }
        guard session.expires > Date() else {
            sessions[token] = nil
            return nil
        }
        return session
    }

    func end(_ token: String) { sessions[token] = nil }

    /// Ends every session of a user, e.g. after the user's role or password changed.
    func end(user: String) { sessions = sessions.filter { $0.value.user != user } }

    func noteRefusal(_ refusal: HTTPRefusal) -> HTTPRefusalSummary? { refusals.note(refusal, now: Date()) }

    func beginLogin(user: String, address: String) -> Date? { throttle.begin(user: user, address: address, now: Date()) }

    func endLogin(user: String, address: String, succeeded: Bool) -> [LoginThrottle.Lockout] {
        throttle.end(user: user, address: address, succeeded: succeeded, now: Date())
    }

    /// SystemRandomNumberGenerator reads the kernel's CSPRNG (getrandom) on Linux.
    static func token() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
