import Foundation
import Testing
import FerryCore
@testable import FerryMapping

/// What the postgres adapter hands a mapping (docs/adapters.md, PostgreSQL column types)
/// reads into canonical values with no `format:`, whatever the server's time zone was.
@Suite struct RealWorldPostgresValuesTests {
    static let entity = """
        entity: Filing
        key: [id]
        version: updated_at
        fields:
          id:         { type: string, required: true }
          updated_at: { type: timestamp }
          happened:   { type: timestamp }
          day:        { type: date }
          amount:     { type: decimal }
          note:       { type: string }
        """

    @Test func aTimestamptzVersionColumnReadsAsACanonicalTimestamp() throws {
        let mapping = try MappingScratch(entity: Self.entity).mapping("""
            system: pg
            entity: Filing
            fields:
              id: { column: id }
              updated_at: { column: updated_at }
              happened: { column: happened }
              day: { column: day }
              amount: { column: amount }
              note: { column: note }
            """)
        let row: [String: Value] = [
            "id": "6f1c2a4e-0b6d-4c55-9a1e-2f1d9b7c3e10", "updated_at": "2026-02-01T01:30:00.123456+00:00",
            "happened": "2026-02-01T01:30:00+00:00", "day": "2026-02-01", "amount": .decimal("123456789012345678901.1234567891"), "note": "",
        ]
        guard case .record(let record) = mapping.read(row) else { Issue.record("refused: \(mapping.read(row))"); return }
        #expect(record.version == "2026-02-01T01:30:00.123456Z", "a timestamptz DEFAULT now() version column")
        #expect(record.fields["happened"] == "2026-02-01T01:30:00Z")
        #expect(record.fields["day"] == "2026-02-01")
        #expect(record.fields["amount"] == .decimal("123456789012345678901.1234567891"))
        #expect(record.fields["note"] == "")
        // The same instant as a server in Beijing would have printed it, had the session not been UTC.
        guard case .record(let shanghai) = mapping.read(row.merging(["updated_at": "2026-02-01T09:30:00.123456+08:00"]) { _, new in new }) else {
            Issue.record("an offset other than UTC must read too"); return
        }
        #expect(shanghai.version == record.version)
    }

    @Test func aTimestampWithoutAZoneIsReadInTheMappingsZone() throws {
        let scratch = try MappingScratch(entity: Self.entity)
        let beijing = try scratch.mapping("""
            system: pg
            entity: Filing
            timezone: "+08:00"
            fields:
              id: { column: id }
              updated_at: { column: updated_at }
            """)
        func version(_ mapping: Mapping, _ text: String) -> String? {
            if case .record(let record) = mapping.read(["id": "a", "updated_at": .string(text)]) { return record.version }
            return nil
        }
        #expect(version(beijing, "2026-02-01T09:30:00") == "2026-02-01T01:30:00Z", "a PostgreSQL timestamp column, Beijing time")
        #expect(version(beijing, "2026-02-01 09:30:00.5") == "2026-02-01T01:30:00.5Z")
        #expect(version(beijing, "2026-02-01T09:30:00Z") == "2026-02-01T09:30:00Z", "an offset in the text wins")
        let utc = try scratch.mapping("""
            system: pg2
            entity: Filing
            fields:
              id: { column: id }
              updated_at: { column: updated_at }
            """, name: "pg2")
        #expect(version(utc, "2026-02-01T09:30:00") == nil, "no zone declared: which wall clock is unknown, so it is refused")
        guard case .rejected(_, let issues) = utc.read(["id": "a", "updated_at": "2026-02-01T09:30:00"]) else { return }
        #expect(issues.first?.message.contains("timezone:") == true, "the refusal says what to declare")
        #expect(version(beijing, "2026-02-01T09:30") == nil, "still a whole timestamp or nothing")
    }
}
