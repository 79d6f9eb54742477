public import Foundation

/// UTC timestamps as `2026-11-24T08:00:00Z`, the one textual time format Ferry writes.
/// Computed arithmetically (no formatter objects): it is on every hot path and must be
/// identical on every node whatever its locale.
public enum Timestamp {
    public static func format(_ date: Date) -> String {
        let (y, m, d, secondOfDay) = civil(fromSeconds: Int64(date.timeIntervalSince1970.rounded(.down)))
        func pad(_ v: Int, _ w: Int = 2) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        return "\(pad(y, 4))-\(pad(m))-\(pad(d))T\(pad(secondOfDay / 3600)):\(pad(secondOfDay / 60 % 60)):\(pad(secondOfDay % 60))Z"
    }

    /// The first time, in whole seconds as `format` writes it, that is not before `seconds`
    /// after `now`. A stored next-attempt time is compared as text: truncating instead
    /// would make a sub-second back-off due again within the same run.
    public static func wholeSeconds(after seconds: TimeInterval, from now: Date) -> Date {
        Date(timeIntervalSince1970: (now.timeIntervalSince1970 + seconds).rounded(.up))
    }

    public static func parse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count == 20, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54, b[13] == 0x3A, b[16] == 0x3A, b[19] == 0x5A else { return nil }
        func num(_ range: Range<Int>) -> Int? {
            var v = 0
            for i in range {
                guard (0x30...0x39).contains(b[i]) else { return nil }
                v = v * 10 + Int(b[i] - 0x30)
            }
            return v
        }
        guard let y = num(0..<4), let m = num(5..<7), let d = num(8..<10), let h = num(11..<13), let mi = num(14..<16),
            let s = num(17..<19), let seconds = seconds(y, m, d, h, mi, s)
        else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    /// Seconds since 1970-01-01T00:00:00Z of a UTC date and time of day; nil when a part is
    /// out of its range (month 1–12, day 1–31, hour 0–23, minute and second 0–59). A day
    /// past its month's end rolls over into the next month.
    package static func seconds(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int) -> Int64? {
        guard (1...12).contains(month), (1...31).contains(day), (0..<24).contains(hour), (0..<60).contains(minute), (0..<60).contains(second)
        else { return nil }
        return daysFromCivil(year, month, day) * 86400 + Int64(hour * 3600 + minute * 60 + second)
    }

    /// The UTC date and second of the day (0–86399) of `seconds` since 1970-01-01T00:00:00Z.
    package static func civil(fromSeconds seconds: Int64) -> (year: Int, month: Int, day: Int, secondOfDay: Int) {
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let (year, month, day) = civil(fromDays: days)
        return (year, month, day, Int(seconds - days * 86400))
    }

    // Howard Hinnant's days-from-civil algorithms (proleptic Gregorian).
    package static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64((month + 9) % 12)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    package static func civil(fromDays z0: Int64) -> (Int, Int, Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (Int(y), Int(m), Int(d))
    }
}
