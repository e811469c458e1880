/// What a user types to name a digest: the full `sha256:<hex>` or a unique prefix of it, with
/// or without `sha256:`, in either case (`ca1c3de1`, `sha256:CA1C`), like git's short ids.
public struct DigestPrefix: Hashable, Sendable, CustomStringConvertible {
    /// Fewer digits match too much to be a useful name.
    public static let minimumCount = 4

    /// The lowercase hex digits typed, 4 to 64 of them.
    public let hex: String
    /// The text as typed, for messages.
    public let text: String

    /// Parses `text`; refuses anything but 4-64 hex digits after an optional `sha256:`.
    public init(parsing text: String) throws {
        var digits = Substring(text.lowercased())
        if digits.hasPrefix(Digest.algorithmPrefix) { digits = digits.dropFirst(Digest.algorithmPrefix.count) }
        guard !digits.isEmpty, digits.count <= Digest.hexCount, digits.allSatisfy(Digest.isLowercaseHex) else {
            throw SlipwayError.badInput("'\(text)' is not a digest: expected sha256:<hex> or a hex prefix")
        }
        guard digits.count >= Self.minimumCount else {
            throw SlipwayError.badInput("digest prefix '\(text)' is too short: give at least \(Self.minimumCount) hex digits")
        }
        self.hex = String(digits)
        self.text = text
    }

    /// Whether `text` parses as a prefix (for lookups that also accept names).
    public static func isPrefix(_ text: String) -> Bool {
        (try? DigestPrefix(parsing: text)) != nil
    }

    /// The digest itself when all 64 digits were given.
    public var digest: Digest? {
        hex.count == Digest.hexCount ? Digest(trustedHex: hex) : nil
    }

    public var description: String { text }

    /// The one candidate this prefix names; nil when none does. Several are refused, naming
    /// a few of them, so the user can see how many digits tell them apart.
    /// - Parameter noun: what the candidates are, plural ("artifacts"), for the message.
    public func unique(in candidates: some Sequence<Digest>, noun: String) throws -> Digest? {
        let matches = candidates.filter { $0.hasPrefix(self) }
        guard matches.count > 1 else { return matches.first }
        let names = matches.sorted().prefix(5).map { Digest.algorithmPrefix + $0.hex.prefix(16) + "…" }.joined(separator: ", ")
        throw SlipwayError.badInput("digest prefix '\(text)' is ambiguous: it matches \(matches.count) \(noun) (\(names)); give more digits")
    }
}
