/// A run's number in the state database: what `slipway runs` lists and the API's paths name.
/// Encodes as the bare integer, so JSON and the database keep the form they always had.
public struct RunID: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible,
                     ExpressibleByIntegerLiteral {
    public var rawValue: Int64

    public init(rawValue: Int64) { self.rawValue = rawValue }
    public init(_ value: Int64) { rawValue = value }
    public init(integerLiteral value: Int64) { rawValue = value }

    /// A run id as a person or a URL writes it: a positive decimal integer.
    public init?(_ text: some StringProtocol) {
        guard let value = Int64(text), value > 0 else { return nil }
        rawValue = value
    }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(Int64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public static func < (a: RunID, b: RunID) -> Bool { a.rawValue < b.rawValue }

    public var description: String { String(rawValue) }
}
