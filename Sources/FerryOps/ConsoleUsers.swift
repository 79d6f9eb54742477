import Foundation
import FerryCore
import FerryConsole
import FerryQueue
import FerrySeal
import FerryAudit
public import FerryNode

/// Local console users in the node's store: name, role and a PBKDF2 password hash.
public enum ConsoleUsers {
    /// Adds or replaces a user; audited as an operator action (without the password).
    public static func add(_ deployment: Deployment, node name: String, user: String, role: String, password: String) throws {
        guard let role = ConsoleRole(rawValue: role) else {
            throw FerryError(.config, "no role \(role)", hint: "roles: \(ConsoleRole.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard WebConsole.isUserName(user) else {
            throw FerryError(.config, "a user name is 1 to 64 letters, digits, dots, dashes or underscores")
        }
        guard password.count >= 12 else {
            throw FerryError(.config, "the password is too short", hint: "use at least 12 characters; a passphrase is best")
        }
        let hash = try PasswordHash.make(password)
        // Opened only once the input is valid: opening a node audits that it started.
        let node = try Node(deployment: deployment, name: name, logger: .init(label: "ferry.console"))
        try node.store.write { tx in
            let existed = try tx.consoleUsers.save(user: user, role: role.rawValue, passwordHash: hash)
            try node.audit.append(tx, AuditEvent(existed ? .consoleUserChanged : .consoleUserAdded, actor: "operator", details: [
                "user": .string(user), "role": .string(role.rawValue),
            ]))
        }
    }

    /// Removes a user; audited. Sessions the user holds end at their next request, when the
    /// console finds the user gone.
    public static func remove(_ deployment: Deployment, node name: String, user: String) throws {
        let node = try Node(deployment: deployment, name: name, logger: .init(label: "ferry.console"))
        try node.store.write { tx in
            guard try tx.consoleUsers.remove(user: user) else {
                throw FerryError(.config, "no console user \(WebConsole.isUserName(user) ? user : "with that name") on \(node.name)",
                    hint: "list who may log in with 'ferry audit log --kind console.user-added'")
            }
            try node.audit.append(tx, AuditEvent(.consoleUserRemoved, actor: "operator", details: ["user": .string(user)]))
        }
    }

    /// A SHA-256 of the user's role and password hash, or nil for no such user: a session
    /// made under one stamp ends when the stamp changes (role or password changed, user
    /// removed). The hash itself never leaves the store.
    static func stamp(_ tx: StoreTransaction, user: String) throws -> String? {
        guard let user = try tx.consoleUsers.credentials(user: user) else { return nil }
        let digest = try Hasher.digest(Array("\(user.role)\u{1F}\(user.passwordHash)".utf8), .sha256)
        return digest.map { String(format: "%02x", $0) }.joined()
    }

    static func authenticate(_ tx: StoreTransaction, user: String, password: String) throws -> ConsoleRole? {
        guard let stored = try tx.consoleUsers.credentials(user: user) else {
            // The same work as for a real user, so timing does not reveal which names exist.
            _ = PasswordHash.verify(password, against: "pbkdf2-sha256$\(PasswordHash.iterations)$00000000000000000000000000000000$" + String(repeating: "0", count: 64))
            return nil
        }
        return PasswordHash.verify(password, against: stored.passwordHash) ? ConsoleRole(rawValue: stored.role) : nil
    }
}
