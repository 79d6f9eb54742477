import Foundation

/// Slows password guessing per user name and per client address, with back-off.
///
/// Each name and each address may fail `freeFailures` times; the failure that reaches the
/// limit locks it for `firstLock`, and every further one for twice as long as the last
/// lock, up to `maxLock`.
/// While locked, a login is refused without looking at the password, so the right password
/// does not get through a guessing run either, and the answer is the same as for a wrong
/// one (OWASP ASVS 4.0 §2.2.1). A key forgets its failures `forgetAfter` after the last one;
/// a success clears the user's count, not the address's. At most `capacity` keys are kept,
/// so random names cannot grow memory without bound (the oldest are forgotten first).
///
/// A value: the console keeps it in a `Mutex`; tests drive it with their own clock.
struct LoginThrottle: Sendable {
    struct Policy: Sendable {
        var freeFailures = 5
        var firstLock: TimeInterval = 30
        var maxLock: TimeInterval = 15 * 60
        var forgetAfter: TimeInterval = 60 * 60
        var capacity = 10_000
    }

    /// A key newly locked by a failure: audited once, as `console.login-locked`.
    struct Lockout: Sendable, Equatable {
        var key: String
        var until: Date
        /// Attempts refused while the previous lock of this key held.
        var refusedWhileLocked: Int
    }

    struct Entry: Sendable {
        var failures = 0
        var inFlight = 0
        var last = Date.distantPast
        var lockedUntil = Date.distantPast
        var refused = 0
    }

    let policy: Policy
    private(set) var entries: [String: Entry] = [:]

    init(policy: Policy = Policy()) { self.policy = policy }

    static func keys(user: String, address: String) -> [String] { ["user:" + user, "address:" + address] }

    /// Whether a login may check its password now: nil when it may (and it is counted as in
    /// flight until `end`); otherwise when to try again. Attempts in flight count as
    /// failures to come, so 30 guesses sent at once get no more tries than 30 in a row.
    mutating func begin(user: String, address: String, now: Date) -> Date? {
        let keys = Self.keys(user: user, address: address)
        var until: Date?
        for key in keys {
            let entry = fresh(key, now: now)
            if entry.lockedUntil > now {
                until = max(until ?? entry.lockedUntil, entry.lockedUntil)
            } else if entry.failures + entry.inFlight >= policy.freeFailures && entry.inFlight > 0 {
                until = max(until ?? now, now.addingTimeInterval(1))
            }
        }
        guard until != nil else {
            for key in keys {
                var entry = fresh(key, now: now)
                entry.inFlight += 1
                entries[key] = entry
            }
            forget(now: now)
            return nil
        }
        // A refused attempt is counted only against keys already known: a locked address
        // sending new names must not add an entry per name (forget() does not run here).
        for key in keys where entries[key] != nil {
            var entry = fresh(key, now: now)
            entry.refused += 1
            entries[key] = entry
        }
        return until
    }

    /// Ends an attempt `begin` let through. A wrong password returns the keys it locked; a
    /// right one forgets the user's failures (not the address's).
    mutating func end(user: String, address: String, succeeded: Bool, now: Date) -> [Lockout] {
        var lockouts: [Lockout] = []
        for key in Self.keys(user: user, address: address) {
            var entry = entries[key] ?? Entry()
            entry.inFlight = max(entry.inFlight - 1, 0)
            if succeeded {
                if key.hasPrefix("user:") { entry.failures = 0 }
                entries[key] = entry
                continue
            }
            entry.failures += 1
            entry.last = now
            let excess = entry.failures - policy.freeFailures
            if excess >= 0 {
                let lock = min(policy.firstLock * pow(2, Double(min(excess, 30))), policy.maxLock)
                entry.lockedUntil = now.addingTimeInterval(lock)
                lockouts.append(Lockout(key: key, until: entry.lockedUntil, refusedWhileLocked: entry.refused))
                entry.refused = 0
            }
            entries[key] = entry
        }
        return lockouts
    }

    /// The key's entry, started afresh when its last failure is old enough to forget.
    private func fresh(_ key: String, now: Date) -> Entry {
        guard let entry = entries[key] else { return Entry() }
        if entry.inFlight == 0, entry.lockedUntil <= now, now.timeIntervalSince(entry.last) > policy.forgetAfter { return Entry() }
        return entry
    }

    private mutating func forget(now: Date) {
        guard entries.count >= policy.capacity else { return }
        entries = entries.filter { $0.value.inFlight > 0 || $0.value.lockedUntil > now || now.timeIntervalSince($0.value.last) <= policy.forgetAfter }
        if entries.count >= policy.capacity {
            for key in entries.sorted(by: { $0.value.last < $1.value.last }).prefix(entries.count - policy.capacity / 2).map(\.key) { entries[key] = nil }
        }
    }
}
