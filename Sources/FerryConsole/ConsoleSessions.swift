import Foundation

/// Logged-in sessions, in memory: a restart logs everyone out, which is the safe side.
/// Tokens are 256 random bits; each session has its own CSRF token.
actor ConsoleSessions {
    struct Session: Sendable {
        var token: String
        var user: String
        var role: ConsoleRole
        var csrf: String
        var expires: Date
    }

    let lifetime: TimeInterval
    private var sessions: [String: Session] = [:]

    init(lifetime: TimeInterval) { self.lifetime = lifetime }

    func create(user: String, role: ConsoleRole) -> Session {
        let now = Date()
        sessions = sessions.filter { $0.value.expires > now }
        let session = Session(token: Self.token(), user: user, role: role, csrf: Self.token(), expires: now.addingTimeInterval(lifetime))
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

    /// SystemRandomNumberGenerator reads the kernel's CSPRNG (getrandom) on Linux.
    static func token() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
