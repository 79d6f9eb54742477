public import Foundation

/// When a flow runs: a five-field cron expression (minute hour day month weekday, in the
/// machine's local time, as operators read their clocks) or `@every 30s` / `5m` / `1h`.
public enum Schedule: Sendable, Equatable {
    case cron(Cron)
    case every(TimeInterval)

    /// Parses a schedule; `nil` with a reason when it is not one.
    public static func parse(_ text: String) -> Result<Schedule, ScheduleError> {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("@every ") {
            let amount = trimmed.dropFirst("@every ".count).trimmingCharacters(in: .whitespaces)
            let units: [Character: TimeInterval] = ["s": 1, "m": 60, "h": 3600]
            guard let unit = amount.last, let scale = units[unit], let value = Double(amount.dropLast()), value > 0 else {
                return .failure(ScheduleError(message: "'@every' needs a duration such as 30s, 5m or 1h"))
            }
            return .success(.every(value * scale))
        }
        return Cron.parse(trimmed)
    }

    /// The first time strictly after `date` at which the schedule fires.
    public func next(after date: Date, calendar: Calendar = .current) -> Date? {
        switch self {
        case .every(let interval): return date.addingTimeInterval(interval)
        case .cron(let cron): return cron.next(after: date, calendar: calendar)
        }
    }
}

public struct ScheduleError: Error, Sendable, Equatable {
    public var message: String
}

/// A classic five-field cron expression: `*`, `*/n`, `a-b`, `a-b/n` and lists in each field;
/// when both day of month and weekday are restricted, either may match (as cron does).
public struct Cron: Sendable, Equatable {
    public var minutes: Set<Int>
    public var hours: Set<Int>
    public var days: Set<Int>
    public var months: Set<Int>
    public var weekdays: Set<Int>
    var daysRestricted: Bool
    var weekdaysRestricted: Bool

    static func parse(_ text: String) -> Result<Schedule, ScheduleError> {
        let fields = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard fields.count == 5 else {
            return .failure(ScheduleError(message: "'\(text)' has \(fields.count) fields; cron needs five: minute hour day month weekday"))
        }
        let names = ["minute", "hour", "day of month", "month", "weekday"]
        let ranges = [0...59, 0...23, 1...31, 1...12, 0...7]
        var sets: [Set<Int>] = []
        for (index, field) in fields.enumerated() {
            guard let set = values(field, in: ranges[index]) else {
                return .failure(ScheduleError(message: "the \(names[index]) field '\(field)' is not valid (allowed \(ranges[index].lowerBound)–\(ranges[index].upperBound))"))
            }
            sets.append(set)
        }
        // Weekday 7 is Sunday too.
        var weekdays = sets[4]
        if weekdays.remove(7) != nil { weekdays.insert(0) }
        return .success(.cron(Cron(
            minutes: sets[0], hours: sets[1], days: sets[2], months: sets[3], weekdays: weekdays,
            daysRestricted: fields[2] != "*", weekdaysRestricted: fields[4] != "*")))
    }

    static func values(_ text: String, in range: ClosedRange<Int>) -> Set<Int>? {
        var values = Set<Int>()
        for part in text.split(separator: ",") {
            let pieces = part.split(separator: "/", maxSplits: 1)
            let step = pieces.count == 2 ? Int(pieces[1]) : 1
            guard let step, step > 0 else { return nil }
            let span: ClosedRange<Int>
            if pieces[0] == "*" {
                span = range
            } else if let dash = pieces[0].firstIndex(of: "-") {
                guard let low = Int(pieces[0][..<dash]), let high = Int(pieces[0][pieces[0].index(after: dash)...]), low <= high,
                    range.contains(low), range.contains(high)
                else { return nil }
                span = low...high
            } else {
                guard let single = Int(pieces[0]), range.contains(single) else { return nil }
                span = pieces.count == 2 ? single...range.upperBound : single...single
            }
            values.formUnion(stride(from: span.lowerBound, through: span.upperBound, by: step))
        }
        return values.isEmpty ? nil : values
    }

    func next(after date: Date, calendar: Calendar) -> Date? {
        var start = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        start.minute = (start.minute ?? 0) + 1
        guard var candidate = calendar.date(from: start) else { return nil }
        // At most a little over four years of minutes (29 February), skipping whole hours and days.
        for _ in 0..<200_000 {
            let c = calendar.dateComponents([.month, .day, .hour, .minute, .weekday], from: candidate)
            guard let month = c.month, let day = c.day, let hour = c.hour, let minute = c.minute, let weekday = c.weekday else { return nil }
            let dayMatches: Bool
            switch (daysRestricted, weekdaysRestricted) {
            case (true, true): dayMatches = days.contains(day) || weekdays.contains(weekday - 1)
            case (true, false): dayMatches = days.contains(day)
            case (false, true): dayMatches = weekdays.contains(weekday - 1)
            case (false, false): dayMatches = true
            }
            if !months.contains(month) || !dayMatches {
                // Jump to the start of the next day.
                guard let next = calendar.date(byAdding: .day, value: 1, to: calendar.startOfDay(for: candidate)) else { return nil }
                candidate = next
                continue
            }
            if !hours.contains(hour) {
                guard let next = calendar.date(byAdding: .minute, value: 60 - minute, to: candidate) else { return nil }
                candidate = next
                continue
            }
            if minutes.contains(minute) { return candidate }
            guard let next = calendar.date(byAdding: .minute, value: 1, to: candidate) else { return nil }
            candidate = next
        }
        return nil
    }
}
