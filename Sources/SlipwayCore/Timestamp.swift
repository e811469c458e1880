import Foundation

/// Times in Slipway's records: ISO 8601 UTC with milliseconds, so records made within one
/// second still sort in the order they were made (GC and "newest first" listings rely on it).
/// Whole-second stamps from older records still parse.
public enum Timestamp {
    // FormatStyles are values: cheap, Sendable, made once (an ISO8601DateFormatter per record
    // made reading a long journal cost 200 ms).
    static let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    static let whole = Date.ISO8601FormatStyle()

    public static func format(_ date: Date) -> String {
        Canonical.format(date)
    }

    /// The canonical form (`2026-12-01T19:33:34.123Z`, what `format` writes) is read by hand;
    /// any other ISO 8601 form (an offset, whole seconds) by Foundation.
    public static func parse(_ text: String) -> Date? {
        Canonical.parse(text) ?? (try? fractional.parse(text)) ?? (try? whole.parse(text))
    }

    /// An encoder for stored records: sorted keys, Slipway timestamps.
    public static func encoder(pretty: Bool = true) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
                                          : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(format(date))
        }
        return encoder
    }

    /// A decoder for stored records; an unreadable time is an error, not a guess.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let c = try decoder.singleValueContainer()
            let text = try c.decode(String.self)
            guard let date = parse(text) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "not an ISO 8601 time: \(text)")
            }
            return date
        }
        return decoder
    }
}

/// `yyyy-MM-ddTHH:mm:ss.SSSZ` without Foundation's format styles, whose first use costs a CLI
/// call about 1.7 million instructions (a rollback's journal and lock each carry a time).
/// Computed from the reference date, as Foundation does, so both read and write the same
/// values: milliseconds truncated. Years before 1900 are left to Foundation, whose calendar
/// is Julian before 1582.
enum Canonical {
    private static let referenceToUnix: Int64 = 978_307_200
    private static let years: ClosedRange<Int64> = 1900...9999

    static func format(_ date: Date) -> String {
        let sinceReference = date.timeIntervalSinceReferenceDate
        let whole = sinceReference.rounded(.down)
        let millis = min(999, Int64(((sinceReference - whole) * 1000).rounded(.down)))
        let unix = Int64(whole) + referenceToUnix
        var days = unix / 86_400, seconds = unix % 86_400
        if seconds < 0 { days -= 1; seconds += 86_400 }
        let (year, month, day) = civil(fromDays: days)
        guard years.contains(year) else { return Timestamp.fractional.format(date) }
        var text = [UInt8]()
        text.reserveCapacity(24)
        func digits(_ value: Int64, _ count: Int) {
            var divisor: Int64 = 1
            for _ in 1..<count { divisor *= 10 }
            while divisor > 0 { text.append(UInt8(48 + (value / divisor) % 10)); divisor /= 10 }
        }
        digits(year, 4); text.append(45); digits(month, 2); text.append(45); digits(day, 2); text.append(84)
        digits(seconds / 3600, 2); text.append(58); digits(seconds / 60 % 60, 2); text.append(58); digits(seconds % 60, 2)
        text.append(46); digits(millis, 3); text.append(90)
        return String(decoding: text, as: UTF8.self)
    }

    /// `yyyy-MM-ddTHH:mm:ss[.fraction]Z`, or nil for anything else.
    static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.last == 90, bytes[4] == 45, bytes[7] == 45, bytes[10] == 84,
              bytes[13] == 58, bytes[16] == 58 else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for byte in bytes[range] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              years.contains(year), (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
              hour < 24, minute < 60, second < 60 else { return nil }
        var fraction = 0.0
        if bytes.count > 20 {
            // `.` and 1 to 9 digits before the `Z`.
            guard bytes[19] == 46, (22...30).contains(bytes.count), let digits = number(20..<(bytes.count - 1)) else { return nil }
            var scale = 1.0
            for _ in 20..<(bytes.count - 1) { scale *= 10 }
            fraction = Double(digits) / scale
        }
        let unix = days(fromCivil: year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
        return Date(timeIntervalSinceReferenceDate: Double(unix - referenceToUnix) + fraction)
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // Days since 1970-01-01 and back, in the proleptic Gregorian calendar (the
    // era-based algorithm of "chrono-compatible low-level date algorithms").
    private static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
