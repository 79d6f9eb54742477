import FerryCore

/// How the `mysql` adapter moves instants in and out of `DATETIME` and `TIMESTAMP`
/// columns, which hold a wall clock without an offset.
///
/// The session's `time_zone` is a fixed offset (China keeps no summer time). `TIMESTAMP`
/// values are read as RFC 3339 text with that offset, so they name an instant; `DATETIME`
/// values are read as the wall clock they hold. Text with an offset (`2026-02-01T01:30:00Z`,
/// a canonical Ferry timestamp) written to either kind is first moved to the session's wall
/// clock: MySQL 5.7 and MariaDB would otherwise refuse it, or drop the offset.
public enum MySQLTime {
    /// A fixed UTC offset, in seconds east of Greenwich.
    public struct Offset: Sendable, Equatable {
        public var seconds: Int
        public static let utc = Offset(seconds: 0)

        init(seconds: Int) { self.seconds = seconds }

        /// `+08:00`, `-05:30`, `+0800` or `Z`; nil for anything else or beyond ±14:00.
        public init?(_ text: String) {
            if text == "Z" || text == "z" { self.init(seconds: 0); return }
            let bytes = Array(text.utf8)
            guard bytes.count == 6 || bytes.count == 5, bytes[0] == UInt8(ascii: "+") || bytes[0] == UInt8(ascii: "-") else { return nil }
            let digits = bytes.count == 6 ? [bytes[1], bytes[2], bytes[4], bytes[5]] : Array(bytes[1...4])
            guard bytes.count == 5 || bytes[3] == UInt8(ascii: ":"), let hours = MySQLTime.number(digits[0...1]),
                let minutes = MySQLTime.number(digits[2...3]), minutes < 60, hours * 60 + minutes <= 14 * 60
            else { return nil }
            self.init(seconds: (bytes[0] == UInt8(ascii: "-") ? -1 : 1) * (hours * 3600 + minutes * 60))
        }

        /// `+08:00` (as MySQL's `time_zone` takes it), `+00:00` for UTC.
        public var text: String {
            let magnitude = abs(seconds)
            let hours = magnitude / 3600, minutes = magnitude % 3600 / 60
            return (seconds < 0 ? "-" : "+") + MySQLTime.pad(hours, 2) + ":" + MySQLTime.pad(minutes, 2)
        }
    }

    /// A `TIMESTAMP` value as the server printed it (`2026-11-24 09:00:00[.ffffff]`, in the
    /// session's zone) → RFC 3339 with the offset (`2026-11-24T09:00:00+08:00`, `Z` for UTC).
    /// Text of another shape (a zero date the server kept) is returned as it is.
    public static func zoned(_ wall: String, offset: Offset) -> String {
        let bytes = Array(wall.utf8)
        guard bytes.count >= 19, bytes[10] == UInt8(ascii: " ") else { return wall }
        return String(decoding: bytes[0..<10], as: UTF8.self) + "T" + String(decoding: bytes[11...], as: UTF8.self)
            + (offset.seconds == 0 ? "Z" : offset.text)
    }

    /// RFC 3339 text with an offset → the same instant as the wall clock of `offset`
    /// (`yyyy-MM-dd HH:mm:ss[.fraction]`); nil when `text` carries no offset, so it is left
    /// as it was written.
    public static func wallClock(_ text: String, offset: Offset) -> String? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " "), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            let year = number(bytes[0..<4]), let month = number(bytes[5..<7]), let day = number(bytes[8..<10]),
            let hour = number(bytes[11..<13]), let minute = number(bytes[14..<16]), let second = number(bytes[17..<19]),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61,
            // 2026-02-31 is no date: left as written, so strict mode refuses it rather than
            // the arithmetic below turning it into 2026-03-03.
            Timestamp.civil(fromDays: Timestamp.daysFromCivil(year, month, day)) == (year, month, day)
        else { return nil }
        var end = 19
        if end < bytes.count, bytes[end] == UInt8(ascii: ".") {
            end += 1
            while end < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[end]) { end += 1 }
        }
        guard end < bytes.count, let zone = Offset(String(decoding: bytes[end...], as: UTF8.self)) else { return nil }
        let fraction = String(decoding: bytes[19..<end], as: UTF8.self)
        let instant = Timestamp.daysFromCivil(year, month, day) * 86400 + Int64(hour * 3600 + minute * 60 + second - zone.seconds + offset.seconds)
        let (y, m, d, clock) = Timestamp.civil(fromSeconds: instant)
        return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2) + " " + pad(clock / 3600, 2) + ":" + pad(clock % 3600 / 60, 2) + ":"
            + pad(clock % 60, 2) + fraction
    }

    static func number(_ digits: some Collection<UInt8>) -> Int? {
        var value = 0
        for digit in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
            value = value * 10 + Int(digit - UInt8(ascii: "0"))
        }
        return digits.isEmpty ? nil : value
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
