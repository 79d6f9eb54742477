import Foundation

/// Hides known secret values in text a connector wrote, before it reaches a log or an
/// error: connectors echo their config in validation errors ("'hunter2' is not of type
/// 'integer'").
struct Redactor: Sendable {
    static let mark = "***"
    /// Longest first, so a secret that contains another is hidden whole.
    let secrets: [String]

    init(_ secrets: [String]) {
        self.secrets = Array(Set(secrets.filter { !$0.isEmpty })).sorted { $0.count > $1.count }
    }

    func callAsFunction(_ text: String) -> String {
        secrets.reduce(text) { $0.replacingUTF8($1, with: Self.mark) }
    }
}
