public import FerryCore

/// One line of a repair plan: what to do about one differing record, and why.
public struct RepairStep: Sendable, Equatable {
    public enum Action: String, Sendable {
        /// Missing in the target: the source's record is sent.
        case insert
        /// Changed, and the policy lets the source's record through (the target's version
        /// guard and field authorities still judge it at apply).
        case update
        /// Changed, and the target's values stand: a higher authority holds them.
        case keep
        /// Changed under `conflict: none`: people settle it; a case is raised.
        case raiseCase = "case"
        /// Only in the target: reported, never deleted across systems…
        case report
        /// …unless the flow opts in with `reconcile: { extras: delete }`.
        case delete
    }

    public var action: Action
    /// As the report shows it: masked when personal, `#…` for a key only the far side holds.
    public var key: String
    public var reason: String
    /// The key digest's first 8 bytes in hex: how `--apply` finds the record again.
    public var digest: String

    public var value: Value {
        .object(["action": .string(action.rawValue), "key": .string(key), "reason": .string(reason), "digest": .string(digest)])
    }

    public init(action: Action, key: String, reason: String, digest: String) {
        self.action = action
        self.key = key
        self.reason = reason
        self.digest = digest
    }

    public init?(value: Value) {
        guard case .object(let o) = value, let action = o["action"]?.text.flatMap(Action.init(rawValue:)), let key = o["key"]?.text else { return nil }
        self.init(action: action, key: key, reason: o["reason"]?.text ?? "", digest: o["digest"]?.text ?? "")
    }
}
