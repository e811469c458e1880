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
        fractional.format(date)
    }

    public static func parse(_ text: String) -> Date? {
        (try? fractional.parse(text)) ?? (try? whole.parse(text))
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
