import FerryCore
import FerryMapping

extension Mapping {
    /// The texts of `record`'s fields its entity marks `personal`, both as Ferry holds them
    /// and as this mapping wrote them to the system (`written`, by column): a system quotes
    /// its own form (`…150X` written upper case, a date in its format) in its errors.
    func personalTexts(of record: FerryCore.Record, written: [String: Value]) -> [String] {
        var found: [Value] = []
        for field in entity.personalFields.sorted() {
            if let value = record.fields[field] { found.append(value) }
            guard let rule = rule(for: field) else { continue }
            for column in (rule.column.map { [$0] } ?? []) + rule.concat {
                if let value = written[column] { found.append(value) }
            }
        }
        return Self.texts(in: found)
    }

    /// Every scalar text inside `values`, lists and objects opened with a work list rather
    /// than recursion (a deep value cannot exhaust the stack).
    static func texts(in values: [Value]) -> [String] {
        var texts: [String] = []
        var pending = values
        while let value = pending.popLast() {
            switch value {
            case .list(let items): pending += items
            case .object(let members): pending += members.values
            default: if let text = value.text { texts.append(text) }
            }
        }
        return texts
    }
}
