public import Foundation
public import FerryCore

extension AirbyteAdapter {
    /// What a system with `adapter: airbyte` runs and how (docs/adapters.md).
    public struct Options: Sendable {
        /// The connector's executable and any leading arguments, e.g. `[source-faker]` or
        /// `[python3, main.py]`; Ferry appends the verb and its `--config`/`--catalog`/
        /// `--state` files.
        public var command: [String]
        /// The connector's config (`--config FILE`), values typed as YAML 1.2 plain scalars.
        public var config: Value = .object([:])
        /// Values put into `config` at run time from the environment or a file, so they
        /// never sit in the topology: each a path of keys and the value.
        public var secrets: [Secret] = []
        /// The stream to read; may be left out when the connector offers only one.
        public var stream: String?
        public var namespace: String?
        /// nil: incremental when the stream supports it and has a cursor, else full refresh.
        public var syncMode: AirbyteSyncMode?
        /// The field incremental reads follow, for streams whose cursor is not source-defined.
        public var cursorField: [String]?
        /// Seconds the connector may stay silent on standard output before it is stopped.
        public var timeoutSeconds = 300
        public var workingDirectory: URL?

        public init(command: [String]) { self.command = command }

        /// The config handed to the connector, secrets included; written only to a
        /// private file.
        var effectiveConfig: Value {
            secrets.reduce(config) { config, secret in Self.setting(secret.value, at: secret.path[...], in: config) }
        }

        private static func setting(_ value: String, at path: ArraySlice<String>, in config: Value) -> Value {
            guard let key = path.first else { return .string(value) }
            var object = config.objectValue ?? [:]
            object[key] = setting(value, at: path.dropFirst(), in: object[key] ?? .object([:]))
            return .object(object)
        }
    }

    /// A config value read from where it lives (`secrets: { password_env: PG_PASSWORD }`).
    public struct Secret: Sendable {
        /// Keys from the config's root, e.g. `["credentials", "client_secret"]`.
        public var path: [String]
        public var value: String

        public init(path: [String], value: String) {
            self.path = path
            self.value = value
        }
    }

    /// Parses `options:` of a system with `adapter: airbyte`.
    public static func options(_ node: ConfigNode, system: String, environment: [String: String] = ProcessInfo.processInfo.environment,
        baseDirectory: URL) throws -> Options
    {
        let what = "options of system \(system)"
        try node.rejectUnknownKeys(["command", "config", "secrets", "stream", "namespace", "sync_mode", "cursor_field", "timeout"], in: what)
        let commandNode = try node.require("command", in: what)
        let command = try commandNode.strings("command")
        guard !command.isEmpty, !command[0].isEmpty else {
            throw commandNode.error("command is the connector's executable, like source-faker or [python3, main.py]")
        }
        var options = Options(command: command)
        options.workingDirectory = baseDirectory
        if let configNode = node["config"] {
            guard case .object = configNode.jsonValue else { throw configNode.error("config is a mapping, the connector's config as YAML") }
            options.config = configNode.jsonValue
        }
        if let secretsNode = node["secrets"] {
            options.secrets = try secrets(secretsNode, environment: environment, baseDirectory: baseDirectory)
        }
        options.stream = try node["stream"]?.string("stream")
        options.namespace = try node["namespace"]?.string("namespace")
        if let modeNode = node["sync_mode"] {
            let text = try modeNode.string("sync_mode")
            guard let mode = AirbyteSyncMode(rawValue: text) else {
                throw modeNode.error("sync_mode is incremental or full_refresh, not '\(text)'", hint: "leave it out to read incrementally where the stream can")
            }
            options.syncMode = mode
        }
        if let cursorNode = node["cursor_field"] { options.cursorField = try cursorNode.strings("cursor_field") }
        if let timeoutNode = node["timeout"] {
            options.timeoutSeconds = try timeoutNode.int("timeout")
            guard (1...86_400).contains(options.timeoutSeconds) else { throw timeoutNode.error("timeout is seconds, from 1 to 86400") }
        }
        return options
    }

    /// `KEY_env: VARIABLE` or `KEY_file: PATH`, KEY a dotted path into the config.
    static func secrets(_ node: ConfigNode, environment: [String: String], baseDirectory: URL) throws -> [Secret] {
        var found: [Secret] = []
        for entry in try node.entries("secrets") {
            let key = entry.key
            guard let suffix = ["_env", "_file"].first(where: key.hasSuffix), key.count > suffix.count else {
                throw FerryError(.config, "secrets entry '\(key)' names neither an environment variable nor a file",
                    at: .file(entry.keyLocation), hint: "write password_env: VARIABLE or password_file: PATH; a.b_env sets config key b inside a")
            }
            let name = String(key.dropLast(suffix.count))
            let path = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard !path.contains(where: \.isEmpty) else {
                throw FerryError(.config, "secrets entry '\(key)' has an empty key in its path", at: .file(entry.keyLocation))
            }
            let single = ConfigNode(kind: .mapping([entry]), location: node.location)
            if let value = try SecretOption.read(single, name, environment: environment, baseDirectory: baseDirectory) {
                found.append(Secret(path: path, value: value))
            }
        }
        return found
    }
}
