import Foundation
import FerryCore

/// A credential named in a system's options by where it lives, never by its value:
/// `<name>_env` (an environment variable) or `<name>_file` (a file, trimmed). A value
/// written into the topology would end up in version control, backups and diffs.
enum SecretOption {
    /// The secret, or nil when neither key is present.
    static func read(_ node: ConfigNode, _ name: String, environment: [String: String], baseDirectory: URL) throws -> String? {
        if let envNode = node["\(name)_env"] {
            let variable = try envNode.string("\(name)_env")
            guard let value = environment[variable] else {
                throw envNode.error("environment variable \(variable) is not set", hint: "set it in the node's service environment")
            }
            return value
        }
        if let fileNode = node["\(name)_file"] {
            let file = URL(fileURLWithPath: try fileNode.string("\(name)_file"), relativeTo: baseDirectory).standardizedFileURL
            guard let data = FileManager.default.contents(atPath: file.path) else {
                throw fileNode.error("cannot read \(name) file \(file.path)", hint: "check the path and its permissions (0600)")
            }
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return nil
    }
}
