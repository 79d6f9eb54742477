public import FerryCore

/// An inline test case of a mapping file: given a system row, expect a canonical record
/// (or an error on a field and rule).
public struct MappingTest: Sendable {
    public var name: String
    public var given: [String: Value]
    public var expect: [String: Value]?
    public var expectError: (field: String?, rule: String)?
    /// The hex HMAC-SHA256, under `RecordDigester.inlineTestKey`, of the mapped record's
    /// canonical encoding: pins both the mapping and the encoding.
    public var expectDigest: String?
    public var location: SourceLocation

    static func parse(_ node: ConfigNode) throws -> MappingTest {
        try node.rejectUnknownKeys(["name", "given", "expect", "expect_error", "expect_digest"], in: "a test")
        var expectError: (String?, String)?
        if let errorNode = node["expect_error"] {
            try errorNode.rejectUnknownKeys(["field", "rule"], in: "expect_error")
            expectError = (try errorNode["field"]?.string("field"), try errorNode.require("rule", in: "expect_error").string("rule"))
        }
        let given = try node.require("given", in: "a test")
        return MappingTest(
            name: try node["name"]?.string("name") ?? "line \(node.location.line)",
            given: try Self.row(given), expect: try node["expect"].map(Self.row), expectError: expectError,
            expectDigest: try node["expect_digest"].map { digestNode in
                let text = try digestNode.string("expect_digest").lowercased()
                guard text.count == 64, text.allSatisfy(\.isHexDigit) else {
                    throw digestNode.error("expect_digest is 64 hex digits (HMAC-SHA256 under the inline test key)",
                        hint: "run ferry mapping test: a failing case prints the digest it got")
                }
                return text
            },
            location: node.location)
    }

    /// YAML scalars become text; lists become lists. Types are the mapping's job.
    static func row(_ node: ConfigNode) throws -> [String: Value] {
        var row: [String: Value] = [:]
        for entry in try node.entries("a row") { row[entry.key] = entry.value.value }
        return row
    }
}

/// The outcome of one inline test.
public struct MappingTestResult: Sendable {
    public var test: String
    public var passed: Bool
    public var detail: String
    public var location: SourceLocation
}

extension Mapping {
    /// Runs the file's inline tests. Expected values are compared as text, so a test file
    /// can write `2026-01-31` or `3` without caring about canonical types.
    /// - Parameter inlineDigester: digests under `RecordDigester.inlineTestKey`
    ///   (HMAC-SHA256) for `expect_digest`; FerryNode's `RecordDigester.inlineTest`.
    public func runTests(inlineDigester: RecordDigester) -> [MappingTestResult] {
        tests.map { test in
            let result = read(test.given)
            switch (result, test.expectError) {
            case (.rejected(_, let issues), let expected?):
                let hit = issues.contains { $0.rule == expected.rule && (expected.field == nil || $0.field == expected.field) }
                return MappingTestResult(test: test.name, passed: hit,
                    detail: hit ? "" : "expected \(expected.field ?? "a field") to fail \(expected.rule), got: \(issues.map(\.description).joined(separator: "; "))",
                    location: test.location)
            case (.record, let expected?):
                return MappingTestResult(test: test.name, passed: false,
                    detail: "expected \(expected.field ?? "a field") to fail \(expected.rule), but the row was accepted", location: test.location)
            case (.rejected(_, let issues), nil):
                return MappingTestResult(test: test.name, passed: false,
                    detail: "row was rejected: \(issues.map(\.description).joined(separator: "; "))", location: test.location)
            case (.record(let record), nil):
                var mismatches: [String] = []
                for (field, expected) in (test.expect ?? [:]).sorted(by: { $0.key < $1.key }) {
                    let actual = record.fields[field] ?? .null
                    if Self.looselyEqual(actual, expected) == false {
                        mismatches.append("\(field): expected \(Self.show(expected)), got \(Self.show(actual))")
                    }
                }
                if let expected = test.expectDigest {
                    let actual = hex(inlineDigester.digest(record, schema: entity))
                    if actual != expected { mismatches.append("digest: expected \(expected), got \(actual)") }
                }
                return MappingTestResult(test: test.name, passed: mismatches.isEmpty, detail: mismatches.joined(separator: "; "), location: test.location)
            }
        }
    }

    static func looselyEqual(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.list(let x), .list(let y)): return x.count == y.count && zip(x, y).allSatisfy { looselyEqual($0, $1) }
        case (.null, .null): return true
        default: return a.text != nil && a.text == b.text
        }
    }

    static func show(_ value: Value) -> String { String(decoding: CanonicalJSON.encode(value), as: UTF8.self) }
}
