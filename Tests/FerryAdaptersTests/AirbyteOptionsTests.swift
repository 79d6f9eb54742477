import Foundation
import Testing
import FerryCore
@testable import FerryAdapters

/// `options:` of an airbyte system: the connector's config keeps YAML's types, secrets come
/// from the environment or files, and mistakes are located.
@Suite struct AirbyteOptionsTests {
    let base = URL(fileURLWithPath: "/tmp")

    func options(_ yaml: String, environment: [String: String] = [:]) throws -> AirbyteAdapter.Options {
        try AirbyteAdapter.options(ConfigNode.parse(yaml, file: "ferry.yaml"), system: "faker", environment: environment, baseDirectory: base)
    }

    @Test func configValuesKeepTheirYAMLTypes() throws {
        let parsed = try options("""
            command: source-faker
            config:
              count: 1000
              seed: -1
              ratio: 0.25
              half: .5
              big: 123456789012345678901234567890
              hex: 0x1F
              always_updated: false
              zip: "01234"
              quoted_number: '1000'
              country: NO
              answer: yes
              nothing: ~
              text: hello
              list: [1, "2", true]
              nested: { port: 5432, host: db.example }
              block: |
                42
            """)
        let config = try #require(parsed.config.objectValue)
        #expect(config["count"] == .int(1000) && config["seed"] == .int(-1))
        #expect(config["ratio"] == .decimal("0.25") && config["half"] == .decimal("0.5"))
        #expect(config["big"] == .decimal("123456789012345678901234567890"), "a number too large for 64 bits keeps its digits")
        #expect(config["hex"] == .int(31))
        #expect(config["always_updated"] == .bool(false))
        #expect(config["zip"] == "01234" && config["quoted_number"] == "1000", "a quoted scalar stays text")
        #expect(config["country"] == "NO" && config["answer"] == "yes", "YAML 1.2: only true and false are booleans")
        #expect(config["nothing"] == .null && config["text"] == "hello")
        #expect(config["list"] == [.int(1), "2", .bool(true)])
        #expect(config["nested"] == .object(["port": .int(5432), "host": "db.example"]))
        #expect(config["block"] == "42", "a block scalar is text")
        #expect(String(decoding: CanonicalJSON.encode(parsed.config), as: UTF8.self).contains(#""count":1000"#))
    }

    @Test func plainScalarsFollowTheCoreSchemaInJSONsGrammar() {
        let cases: [(String, Value)] = [
            ("007", .int(7)), ("+12", .int(12)), ("-0", .int(0)), ("0o17", .int(15)), ("1.", .decimal("1.0")), ("-.5e-3", .decimal("-0.5e-3")),
            ("+2E3", .decimal("2e3")), ("1e", "1e"), (".inf", ".inf"), (".nan", ".nan"), ("1_000", "1_000"), ("0x", "0x"), ("12ab", "12ab"),
            ("True", .bool(true)), ("FALSE", .bool(false)), ("on", "on"), ("-", "-"), (".", "."), ("1.2.3", "1.2.3"),
            ("0xFFFFFFFFFFFFFFFFFF", "0xFFFFFFFFFFFFFFFFFF"),
        ]
        for (text, expected) in cases {
            let value = YAMLCoreSchema.resolve(text)
            #expect(value == expected, "\(text)")
            if case .decimal(let number) = value { #expect((try? CanonicalJSON.decode(Array(number.utf8))) != nil, "\(number) is JSON") }
        }
    }

    @Test func secretsComeFromTheEnvironmentOrAFileIntoTheConfig() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-airbyte-secret-\(UUID().uuidString)")
        try Data("s3cr3t-from-file\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let parsed = try options("""
            command: [python3, main.py]
            config: { host: db.example, credentials: { auth_type: oauth } }
            secrets: { password_env: DB_PASSWORD, credentials.client_secret_file: \(file.path) }
            stream: users
            sync_mode: full_refresh
            cursor_field: updated_at
            timeout: 30
            """, environment: ["DB_PASSWORD": "hunter2-env"])
        #expect(parsed.command == ["python3", "main.py"] && parsed.stream == "users" && parsed.syncMode == .fullRefresh)
        #expect(parsed.cursorField == ["updated_at"] && parsed.timeoutSeconds == 30)
        #expect(parsed.config.objectValue?["password"] == nil, "the secret is not in the parsed config")
        let effective = try #require(parsed.effectiveConfig.objectValue)
        #expect(effective["password"] == "hunter2-env" && effective["host"] == "db.example")
        #expect(effective["credentials"] == .object(["auth_type": "oauth", "client_secret": "s3cr3t-from-file"]))
        let adapter = AirbyteAdapter(options: parsed)
        #expect(adapter.redact("login hunter2-env / s3cr3t-from-file failed") == "login *** / *** failed")
    }

    @Test func secretLookingConfigKeysAreRedactedToo() throws {
        let parsed = try options("""
            command: source-x
            config: { api_key: abcd1234, nested: { password: pw-inline }, name: visible }
            """)
        let redact = AirbyteAdapter(options: parsed).redact
        #expect(redact("abcd1234 pw-inline visible") == "*** *** visible")
    }

    @Test func mistakesAreLocated() throws {
        let cases: [(String, String)] = [
            ("command: source-x\nconfg: {}", "unknown key 'confg'"),
            ("config: {}", "missing 'command'"),
            ("command: source-x\nsync_mode: cdc", "sync_mode is incremental or full_refresh"),
            ("command: source-x\ntimeout: 0", "timeout is seconds"),
            ("command: source-x\ntimeout: 99999999999", "timeout is seconds"),
            ("command: source-x\nconfig: [1]", "config is a mapping"),
            ("command: source-x\nsecrets: { password: x }", "names neither an environment variable nor a file"),
            ("command: source-x\nsecrets: { password_env: NOT_SET }", "NOT_SET is not set"),
        ]
        for (yaml, expected) in cases {
            do {
                _ = try options(yaml)
                Issue.record("accepted: \(yaml)")
            } catch let error as FerryError {
                #expect(error.message.contains(expected), "\(yaml): \(error.message)")
                #expect(error.location != nil, "\(yaml): located")
            }
        }
    }
}
