public import Foundation
public import FerryCore

/// Who may do what in the console: auditors read; operators also re-drive and retry.
public enum ConsoleRole: String, Sendable, CaseIterable {
    case auditor, `operator`

    public var mayOperate: Bool { self == .`operator` }
}

/// What the console shows and does, supplied by the node it runs in. The console itself
/// only speaks HTTP, keeps sessions and renders; every answer here is already masked.
public protocol ConsoleBackend: Sendable {
    /// The user's role when the password is right; nil otherwise (never says which was wrong).
    func authenticate(user: String, password: String) throws -> ConsoleRole?
    /// A digest of what the store holds for the user (role and password hash); nil when the
    /// user is gone. A session lives only while this stays the same.
    func userStamp(_ user: String) throws -> String?
    /// Appends a console event (login, failed login, denial, operator action) to the audit log.
    func audit(kind: String, actor: String, details: [String: Value]) throws
    /// Flows with their last successful sync, queue depths, rejects, chain status.
    func dashboard() throws -> Value
    /// Audit entries matching the filters (since, until, flow, system, kind, bundle, key).
    func auditLog(_ filters: [String: String]) throws -> Value
    func trace(key: String) throws -> Value
    func deadLetters() throws -> Value
    /// Re-drives one dead letter; returns a one-line result.
    func redrive(deadLetter id: Int64, actor: String) throws -> String
    /// Puts a dead-lettered outbound bundle back to shipping; returns a one-line result.
    func retry(bundle id: String, actor: String) throws -> String
    /// Writes a signed audit export of [since, until) and returns its file.
    func export(since: String, until: String, actor: String) throws -> URL
}
