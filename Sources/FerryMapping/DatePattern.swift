import Foundation
import FerryCore

/// Date and time patterns such as `yyyyMMdd` or `yyyy/MM/dd HH:mm:ss`: the tokens
/// yyyy MM dd HH mm ss, everything else literal. Hand-rolled because it is strict
/// (no lenient guessing), locale-free and fast on millions of rows.
public struct DatePattern: Sendable, Equatable {
    enum Token: Equatable {
        case year, month, day, hour, minute, second
        case literal(Character)
    }

    let tokens: [Token]
    public let text: String
    /// The system's clock, in seconds east of UTC: its times are local (+08:00 for Beijing
    /// time) and canonical timestamps are UTC. Fixed offsets only: China keeps no summer time.
    public var utcOffset = 0

    public static let isoDate = DatePattern("yyyy-MM-dd")
    public static let isoTimestamp = DatePattern("yyyy-MM-ddTHH:mm:ssZ")
    public static let compact = DatePattern("yyyyMMdd")

    public init(_ text: String) {
        self.text = text
        var tokens: [Token] = []
        var rest = Substring(text)
        let names: [(String, Token)] = [("yyyy", .year), ("MM", .month), ("dd", .day), ("HH", .hour), ("mm", .minute), ("ss", .second)]
        outer: while let first = rest.first {
            for (name, token) in names where rest.hasPrefix(name) {
                tokens.append(token)
                rest = rest.dropFirst(name.count)
                continue outer
            }
            tokens.append(.literal(first))
            rest = rest.dropFirst()
        }
        self.tokens = tokens
    }

    public var hasTime: Bool { tokens.contains(.hour) }

    /// `+08:00`, `-05:30`, `Z` or `UTC` → seconds east of UTC.
    public static func offset(_ text: String) -> Int? {
        if text == "Z" || text == "UTC" || text == "+00:00" { return 0 }
        let chars = Array(text.utf8)
        guard chars.count == 6, chars[0] == UInt8(ascii: "+") || chars[0] == UInt8(ascii: "-"), chars[3] == UInt8(ascii: ":"),
            let hours = Int(String(decoding: chars[1..<3], as: UTF8.self)), let minutes = Int(String(decoding: chars[4..<6], as: UTF8.self)),
            hours <= 14, minutes < 60
        else { return nil }
        let seconds = hours * 3600 + minutes * 60
        return chars[0] == UInt8(ascii: "-") ? -seconds : seconds
    }

    /// Local parts of this pattern's clock → UTC parts.
    func toUTC(_ parts: Parts) -> Parts { utcOffset == 0 ? parts : Self.shift(parts, by: -utcOffset) }

    /// UTC parts → local parts of this pattern's clock.
    func fromUTC(_ parts: Parts) -> Parts { utcOffset == 0 ? parts : Self.shift(parts, by: utcOffset) }

    static func shift(_ parts: Parts, by seconds: Int) -> Parts {
        guard let date = Timestamp.parse(isoTimestamp.format(parts)),
            let shifted = isoTimestamp.parse(Timestamp.format(date.addingTimeInterval(TimeInterval(seconds))))
        else { return parts }
        return shifted
    }

    public struct Parts: Equatable, Sendable {
        public var year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0

        public init(year: Int = 0, month: Int = 1, day: Int = 1, hour: Int = 0, minute: Int = 0, second: Int = 0) {
            (self.year, self.month, self.day, self.hour, self.minute, self.second) = (year, month, day, hour, minute, second)
        }
    }

    public func parse(_ input: String) -> Parts? {
        var parts = Parts()
        var chars = Array(input.utf8)[...]
        func number(_ width: Int) -> Int? {
            guard chars.count >= width else { return nil }
            var value = 0
            for byte in chars.prefix(width) {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            chars = chars.dropFirst(width)
            return value
        }
        for token in tokens {
            switch token {
            case .year: guard let v = number(4) else { return nil }; parts.year = v
            case .month: guard let v = number(2), (1...12).contains(v) else { return nil }; parts.month = v
            case .day: guard let v = number(2), v >= 1 else { return nil }; parts.day = v
            case .hour: guard let v = number(2), v < 24 else { return nil }; parts.hour = v
            case .minute: guard let v = number(2), v < 60 else { return nil }; parts.minute = v
            case .second: guard let v = number(2), v < 60 else { return nil }; parts.second = v
            case .literal(let ch):
                guard let first = chars.first, Array(String(ch).utf8) == [first] else { return nil }
                chars = chars.dropFirst()
            }
        }
        guard chars.isEmpty, parts.day <= Self.daysIn(month: parts.month, year: parts.year) else { return nil }
        return parts
    }

    public func format(_ parts: Parts) -> String {
        var out = ""
        func pad(_ v: Int, _ w: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        for token in tokens {
            switch token {
            case .year: out += pad(parts.year, 4)
            case .month: out += pad(parts.month, 2)
            case .day: out += pad(parts.day, 2)
            case .hour: out += pad(parts.hour, 2)
            case .minute: out += pad(parts.minute, 2)
            case .second: out += pad(parts.second, 2)
            case .literal(let ch): out.append(ch)
            }
        }
        return out
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
