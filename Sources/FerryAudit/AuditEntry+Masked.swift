import FerryCore

extension AuditEntry {
    /// Detail members that hold free text, which may have come from outside Ferry (a sink's
    /// error as a dead letter's reason, a conflict's detail).
    static let freeTextDetails: Set<String> = ["reason", "detail", "issues", "error", "message"]

    /// The entry as it may be shown: free-text details masked (``FreeTextRedactor``), so a
    /// log written before reasons were masked shows no ID, passport or mobile number either.
    /// The stored entry, which its hash covers, is unchanged: `ferry audit verify` and
    /// exports read the store, never this.
    package var maskedForDisplay: AuditEntry {
        var entry = self
        entry.event.details = Self.masked(event.details)
        return entry
    }

    static func masked(_ details: [String: Value]) -> [String: Value] {
        let redact = FreeTextRedactor()
        var details = details
        for key in freeTextDetails {
            if case .string(let text)? = details[key] { details[key] = .string(redact(text)) }
        }
        return details
    }
}
