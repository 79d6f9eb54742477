public import Foundation

/// One refused request from outside (an upload, a console POST without a session or from
/// another site), described only by values the endpoint checked or chose itself.
public struct HTTPRefusal: Sendable, Equatable {
    /// A fixed reason code, e.g. `rate`, `too-large`, `bad-name`, `bad-signature`, `no session`.
    public var reason: String
    public var status: Int
    /// `FROM→TO`, only when both were simple identifiers naming a lane of this node.
    public var lane: String?
    /// The peer's socket address as the server saw it, or `unknown`.
    public var client: String

    public init(reason: String, status: Int, lane: String? = nil, client: String) {
        (self.reason, self.status, self.lane, self.client) = (reason, status, lane, client)
    }
}

/// What the audit log gets about refused requests: the first refusal of each window as it
/// happens, carrying the counts of those held back in the window before, so a flood of
/// refusals writes one entry per window however fast it comes.
public struct HTTPRefusalSummary: Sendable, Equatable {
    public var refusal: HTTPRefusal
    /// Refusals held back since the previous entry, by reason.
    public var heldBack: [String: Int]
    /// Distinct client addresses among those held back (at most `HTTPRefusals.clientLimit`).
    public var heldBackClients: [String]
    /// Whether more client addresses were held back than listed.
    public var moreClients: Bool
}

/// Decides which refusals reach the audit log. A value type told the time, tested without
/// I/O. The counts of the last window are written with the next refusal after it; a node
/// stopped before then loses only those counts, never an entry already written.
public struct HTTPRefusals: Sendable {
    /// How long a window lasts, in seconds: at most one audit entry per window.
    public let window: TimeInterval
    static let clientLimit = 16

    private var windowStart: Date?
    private var heldBack: [String: Int] = [:]
    private var clients: [String] = []
    private var moreClients = false

    public init(window: TimeInterval = 60) {
        self.window = window
    }

    /// Notes a refusal at `now`; answers the entry to audit, or nil when it is only counted.
    public mutating func note(_ refusal: HTTPRefusal, now: Date) -> HTTPRefusalSummary? {
        if let start = windowStart, now >= start, now.timeIntervalSince(start) < window {
            heldBack[refusal.reason, default: 0] += 1
            if !clients.contains(refusal.client) {
                if clients.count < Self.clientLimit { clients.append(refusal.client) } else { moreClients = true }
            }
            return nil
        }
        let summary = HTTPRefusalSummary(refusal: refusal, heldBack: heldBack, heldBackClients: clients, moreClients: moreClients)
        windowStart = now
        heldBack = [:]
        clients = []
        moreClients = false
        return summary
    }
}
