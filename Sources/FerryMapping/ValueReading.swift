import FerryCore

/// Typed readings of one value's text, for `Mapping.convert`: each returns the canonical
/// value or throws the issue a quarantine report shows. `shown` is the text as messages may
/// quote it (masked when the field is personal).
enum ValueReading {
    /// A 64-bit whole number.
    static func int(_ text: String, shown: String, field: String) throws(MappingIssue) -> Value {
        if let value = Int64(text) { return .int(value) }
        let digits = text.hasPrefix("-") || text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        if !digits.isEmpty, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }) {
            throw MappingIssue(field: field, rule: "type",
                message: "'\(shown)' is outside the 64-bit whole-number range (±9223372036854775807); declare the field decimal to keep it")
        }
        throw MappingIssue(field: field, rule: "type", message: "'\(shown)' is not a whole number")
    }

    /// A decimal as exact canonical text (`DecimalText.plain`): `1e-05` reads as `0.00001`.
    static func decimal(_ text: String, shown: String, field: String) throws(MappingIssue) -> Value {
        do {
            return .decimal(try DecimalText.plain(text))
        } catch {
            throw MappingIssue(field: field, rule: "type", message: "'\(shown)' \(error.reason)")
        }
    }

    /// A date (`2026-02-01`) or a UTC timestamp (`2026-02-01T01:30:00.123Z`, the fraction
    /// kept digit for digit) read with `format`, or without one as ISO 8601: dates
    /// `yyyy-MM-dd`, timestamps RFC 3339 with an offset or `Z`.
    /// - Parameter zone: without a format, a timestamp whose text carries no offset (what a
    ///   database `timestamp` column gives, `2026-02-01T09:30:00` or `2026-02-01 09:30:00`) is
    ///   read in this zone, seconds east of UTC.
    static func time(_ text: String, timestamp: Bool, format: DatePattern?, shown: String, field: String, zone: Int? = nil) throws(MappingIssue)
        -> Value
    {
        var pattern = format ?? (timestamp ? DatePattern.rfc3339 : DatePattern.isoDate)
        var parsed = pattern.parse(text)
        if parsed == nil, format == nil, timestamp, let zone {
            for local in DatePattern.isoLocal {
                var candidate = local
                candidate.utcOffset = zone
                if let parts = candidate.parse(text) {
                    (pattern, parsed) = (candidate, parts)
                    break
                }
            }
        }
        guard let parts = parsed else {
            let local = format == nil && timestamp && zone == nil && DatePattern.isoLocal.contains { $0.parse(text) != nil }
            throw MappingIssue(field: field, rule: "format", message: "'\(shown)' does not match \(pattern.text)"
                + (local ? " (it has no UTC offset: declare the mapping's timezone:, e.g. \"+08:00\", to read it in that zone)" : ""))
        }
        guard timestamp else { return .string(DatePattern.isoDate.format(parts)) }
        guard let utc = pattern.toUTC(parts) else {
            throw MappingIssue(field: field, rule: "format", message: "'\(shown)' falls outside the years 0000-9999 in UTC")
        }
        return .string(DatePattern.isoTimestamp.format(utc))
    }
}
