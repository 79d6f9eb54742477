public import FerryCore
import Foundation

/// Where an incremental read by a cursor column starts again, and what it does with rows
/// whose cursor is NULL: the rules that keep a cursor read from skipping rows.
///
/// A read never starts strictly after the last row it saw. It starts at the last cursor value
/// (rows stamped with it later, in the same second, are read), or further back by a look-back
/// window (rows that committed late carrying an older stamp are read). Rows read again are
/// recognised by the node from their content digests and not sent twice.
public struct CursorWindow: Sendable, Equatable {
    /// How far before the last cursor value a read goes back.
    public enum Lookback: Sendable, Equatable {
        /// Back to the last value itself: ties are read again, nothing earlier.
        case none
        /// A time span in seconds, for cursors that hold dates or timestamps.
        case seconds(Int)
        /// The cursor value this many rows back, for any cursor.
        case rows(Int)
    }

    /// What a read does with rows whose cursor column is NULL.
    public enum NullPolicy: String, Sendable, CaseIterable {
        /// Read them on every run (they are sent once, then recognised as unchanged).
        case read
        /// Leave them out of incremental reads; `ferry adapters check` counts them. Full
        /// reads and reconciles still see them.
        case skip
    }

    public var lookback: Lookback = .none
    public var nullPolicy: NullPolicy = .read

    public init(lookback: Lookback = .none, nullPolicy: NullPolicy = .read) {
        self.lookback = lookback
        self.nullPolicy = nullPolicy
    }

    /// Reads `lookback:` (`30s`, `5m`, `2h`, `1d`, or a whole number of rows) and
    /// `null_cursor:` (`read` or `skip`) from a system's options.
    public static func options(_ node: ConfigNode) throws -> CursorWindow {
        var window = CursorWindow()
        if let lookbackNode = node["lookback"] {
            let text = try lookbackNode.string("lookback").trimmingCharacters(in: .whitespaces)
            if let rows = Int(text), rows >= 0 {
                window.lookback = rows == 0 ? .none : .rows(rows)
            } else if let seconds = seconds(text) {
                window.lookback = .seconds(seconds)
            } else {
                throw lookbackNode.error("lookback is a time span (30s, 5m, 2h, 1d) or a number of rows, not '\(text)'",
                    hint: "set it to at least the longest time a transaction of the source system stays open")
            }
        }
        if let nullNode = node["null_cursor"] {
            let text = try nullNode.string("null_cursor")
            guard let policy = NullPolicy(rawValue: text) else {
                throw nullNode.error("null_cursor is read or skip, not '\(text)'", hint: "read (the default) sends rows without a cursor value too")
            }
            window.nullPolicy = policy
        }
        return window
    }

    /// The option keys this type reads, for adapters' unknown-key checks.
    public static let optionKeys = ["lookback", "null_cursor"]

    static func seconds(_ text: String) -> Int? {
        guard let unit = text.last, let amount = Int(text.dropLast()), amount > 0 else { return nil }
        let scale: Int
        switch unit {
        case "s": scale = 1
        case "m": scale = 60
        case "h": scale = 3600
        case "d": scale = 86400
        default: return nil
        }
        // A span beyond a century is a typo, and one past Int's range must not trap.
        let (seconds, overflow) = amount.multipliedReportingOverflow(by: scale)
        return overflow || seconds > 100 * 366 * 86400 ? nil : seconds
    }

    /// The cursor value `seconds` before `value`, in the same text shape so that it compares
    /// with the column's other values as they do with each other; nil when `value` is not a
    /// date or timestamp Ferry recognises.
    ///
    /// Shapes: `yyyy-MM-dd`, `yyyyMMdd`, `yyyyMMddHHmmss` (as text or as a whole number), and `yyyy-MM-dd[T ]HH:mm:ss` with
    /// any fraction and zone suffix (`Z`, `+08:00`), which are kept as they were. Arithmetic is
    /// on the wall clock as written; zones without daylight saving (China's) are exact.
    public static func earlier(_ value: Value, bySeconds seconds: Int) -> Value? {
        // `yyyyMMddHHmmss` and `yyyyMMdd` in a numeric column (SQLite stores them as integers,
        // MySQL keeps BIGINT stamps): the same arithmetic, back as a number.
        if case .int(let number) = value, number > 0 {
            let digits = String(number)
            guard digits.count == 14 || digits.count == 8, case .string(let moved)? = earlier(.string(digits), bySeconds: seconds),
                let result = Int64(moved)
            else { return nil }
            return .int(result)
        }
        guard case .string(let text) = value else { return nil }
        let bytes = Array(text.utf8)
        func digits(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count else { return nil }
            var number = 0
            for i in range {
                guard bytes[i] >= 48, bytes[i] <= 57 else { return nil }
                number = number * 10 + Int(bytes[i] - 48)
            }
            return number
        }
        let dash = UInt8(ascii: "-"), colon = UInt8(ascii: ":")
        var fields: (y: Int, mo: Int, d: Int, h: Int, mi: Int, s: Int)
        var shape: (Date) -> String
        var rest = ""
        if bytes.count >= 10, bytes[4] == dash, bytes[7] == dash, let y = digits(0..<4), let mo = digits(5..<7), let d = digits(8..<10) {
            if bytes.count == 10 {
                fields = (y, mo, d, 0, 0, 0)
                shape = { format($0, "%04d-%02d-%02d", time: false) }
            } else {
                guard bytes.count >= 19, bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " "), bytes[13] == colon, bytes[16] == colon,
                    let h = digits(11..<13), let mi = digits(14..<16), let s = digits(17..<19)
                else { return nil }
                fields = (y, mo, d, h, mi, s)
                let separator = bytes[10] == UInt8(ascii: "T") ? "T" : " "
                rest = String(decoding: bytes[19...], as: UTF8.self)
                shape = { format($0, "%04d-%02d-%02d" + separator + "%02d:%02d:%02d", time: true) }
            }
        } else if bytes.count == 8, let y = digits(0..<4), let mo = digits(4..<6), let d = digits(6..<8) {
            fields = (y, mo, d, 0, 0, 0)
            shape = { format($0, "%04d%02d%02d", time: false) }
        } else if bytes.count == 14, let y = digits(0..<4), let mo = digits(4..<6), let d = digits(6..<8), let h = digits(8..<10),
            let mi = digits(10..<12), let s = digits(12..<14)
        {
            fields = (y, mo, d, h, mi, s)
            shape = { format($0, "%04d%02d%02d%02d%02d%02d", time: true) }
        } else {
            return nil
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let components = DateComponents(year: fields.y, month: fields.mo, day: fields.d, hour: fields.h, minute: fields.mi, second: fields.s)
        guard (1...12).contains(fields.mo), (1...31).contains(fields.d), let date = calendar.date(from: components) else { return nil }
        return .string(shape(date.addingTimeInterval(-Double(seconds))) + rest)
    }

    private static func format(_ date: Date, _ pattern: String, time: Bool) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let numbers = [c.year ?? 0, c.month ?? 0, c.day ?? 0] + (time ? [c.hour ?? 0, c.minute ?? 0, c.second ?? 0] : [])
        return String(format: pattern, arguments: numbers.map { $0 as any CVarArg })
    }

    /// Whether `value` looks like a time stamped to the whole second at most: such a cursor
    /// gives many rows one value, so rows stamped later in that second need a look-back.
    public static func hasSecondResolution(_ value: Value) -> Bool {
        if case .int = value { return earlier(value, bySeconds: 0) != nil }
        guard case .string(let text) = value, earlier(value, bySeconds: 0) != nil else { return false }
        return !text.contains(".")
    }
}
