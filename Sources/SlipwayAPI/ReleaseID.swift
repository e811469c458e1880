/// A release's id on a deploy target (`20261128T090000Z-abcdef`): the directory under
/// `releases/` that a deploy unpacked and `current` points at. Encodes as the bare string.
public struct ReleaseID: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible,
                         ExpressibleByStringLiteral {
    public var rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ value: String) { rawValue = value }
    public init(stringLiteral value: String) { rawValue = value }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }
}
