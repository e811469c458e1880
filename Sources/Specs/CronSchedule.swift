import Foundation

/// A cron schedule (`0 3 * * *`: minute, hour, day of month, month, day of week) in a time
/// zone, as Vixie cron reads it: `*`, lists, ranges, steps, month and weekday names, the
/// `@hourly`/`@daily`/`@weekly`/`@monthly`/`@yearly` shorthands, and when both day fields are
/// restricted a day matching either runs. Local times a DST change skips do not run; a time
/// that occurs twice runs once, at its first occurrence.
public struct CronSchedule: Sendable, Equatable, Codable {
    public let expression: String
    public let timeZone: String
    let minutes: Set<Int>
    let hours: Set<Int>
    let days: Set<Int>
    let months: Set<Int>
    let weekdays: Set<Int>
    let anyDay: Bool
    let anyWeekday: Bool

    /// Parses `expression` in the IANA `timeZone` (default UTC); the error says which field
    /// is wrong and why.
    public init(_ expression: String, timeZone: String = "UTC") throws(CronError) {
        guard TimeZone(identifier: timeZone) != nil else { throw CronError("unknown time zone '\(timeZone)' (use an IANA name such as Europe/Berlin)") }
        let shorthands = ["@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
                          "@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *"]
        let trimmed = expression.trimmingCharacters(in: .whitespaces)
        let text = shorthands[trimmed.lowercased()] ?? trimmed
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw CronError("'\(expression)' has \(fields.count) fields; cron needs 5: minute hour day-of-month month day-of-week")
        }
        self.expression = trimmed
        self.timeZone = timeZone
        minutes = try Self.field(fields[0], "minute", 0...59)
        hours = try Self.field(fields[1], "hour", 0...23)
        days = try Self.field(fields[2], "day of month", 1...31)
        months = try Self.field(fields[3], "month", 1...12, names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], firstName: 1)
        // 7 is Sunday too.
        weekdays = Set(try Self.field(fields[4], "day of week", 0...7, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"], firstName: 0).map { $0 % 7 })
        anyDay = fields[2].hasPrefix("*")
        anyWeekday = fields[4].hasPrefix("*")
    }

    enum CodingKeys: String, CodingKey { case expression, timeZone }

    /// Stored as written and parsed again, so a stored schedule is as checked as a new one.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let expression = try c.decode(String.self, forKey: .expression)
        let zone = try c.decode(String.self, forKey: .timeZone)
        do { try self.init(expression, timeZone: zone) } catch {
            throw DecodingError.dataCorruptedError(forKey: .expression, in: c, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(expression, forKey: .expression)
        try c.encode(timeZone, forKey: .timeZone)
    }

    /// The first time after `date` (strictly) the schedule fires; nil if none within 8 years
    /// (`0 0 30 2 *` never does).
    public func next(after date: Date) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: timeZone) ?? TimeZone(identifier: "UTC")!
        var day = calendar.startOfDay(for: date)
        for _ in 0..<(366 * 8) {
            let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: day)
            if let month = parts.month, let dom = parts.day, let weekday = parts.weekday, months.contains(month),
               matches(day: dom, weekday: weekday - 1) {
                for hour in hours.sorted() {
                    for minute in minutes.sorted() {
                        var wanted = DateComponents(year: parts.year, month: month, day: dom, hour: hour, minute: minute)
                        wanted.timeZone = calendar.timeZone
                        // A local time inside a DST gap does not exist: the calendar moves it
                        // forward, which the round trip below catches.
                        guard let candidate = calendar.date(from: wanted), candidate > date,
                              calendar.component(.hour, from: candidate) == hour,
                              calendar.component(.minute, from: candidate) == minute else { continue }
                        return candidate
                    }
                }
            }
            guard let following = calendar.date(byAdding: .day, value: 1, to: day) else { return nil }
            day = following
        }
        return nil
    }

    private func matches(day: Int, weekday: Int) -> Bool {
        switch (anyDay, anyWeekday) {
        case (true, true): return true
        case (false, true): return days.contains(day)
        case (true, false): return weekdays.contains(weekday)
        case (false, false): return days.contains(day) || weekdays.contains(weekday)
        }
    }

    private static func field(_ text: String, _ what: String, _ range: ClosedRange<Int>,
                              names: [String] = [], firstName: Int = 0) throws(CronError) -> Set<Int> {
        func value(_ token: Substring) throws(CronError) -> Int {
            if let n = Int(token) {
                guard range.contains(n) else { throw CronError("\(what) \(n) is out of range \(range.lowerBound)-\(range.upperBound)") }
                return n
            }
            if let index = names.firstIndex(of: token.lowercased()) { return index + firstName }
            throw CronError("'\(token)' is not a \(what)" + (names.isEmpty ? "" : " (numbers or \(names.first!)…\(names.last!))"))
        }
        var result: Set<Int> = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2, !pieces[0].isEmpty else { throw CronError("'\(part)' is not a \(what) list item") }
            var step = 1
            if pieces.count == 2 {
                guard let n = Int(pieces[1]), n > 0 else { throw CronError("'\(pieces[1])' is not a step (a whole number above 0) in the \(what) field") }
                step = n
            }
            var low = range.lowerBound, high = range.upperBound
            if pieces[0] != "*" {
                let bounds = pieces[0].split(separator: "-", omittingEmptySubsequences: false)
                guard bounds.count <= 2, bounds.allSatisfy({ !$0.isEmpty }) else { throw CronError("'\(pieces[0])' is not a \(what) or range") }
                low = try value(bounds[0])
                high = bounds.count == 2 ? try value(bounds[1]) : (pieces.count == 2 ? range.upperBound : low)
                guard low <= high else { throw CronError("the \(what) range \(pieces[0]) runs backwards") }
            }
            result.formUnion(stride(from: low, through: high, by: step))
        }
        return result
    }
}

/// Why a cron expression was refused.
public struct CronError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
