import Foundation

/// A SHA-256 content digest: artifacts, their blobs, image configs and layers, buildspecs.
///
/// Always 64 lowercase hex digits. Its text form is `sha256:<hex>`, which is also how it is
/// encoded (JSON records, tag files, database columns), so stores written before this type
/// existed read back unchanged. Store paths use `hex` (`blobs/sha256/ab/<hex>`).
public struct Digest: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The algorithm prefix of the text form.
    public static let algorithmPrefix = "sha256:"
    /// Hex digits in a full digest.
    public static let hexCount = 64

    /// The 64 lowercase hex digits.
    public let hex: String

    /// A digest from hex that is already known to be valid (a hasher's output).
    init(trustedHex: String) {
        hex = trustedHex
    }

    /// `sha256:<64 lowercase hex>`; anything else is refused with what exactly is wrong.
    public init(parsing text: String) throws {
        guard let colon = text.firstIndex(of: ":") else {
            throw SlipwayError.badInput("'\(text)' is not a digest: expected sha256:<64 hex digits>")
        }
        let algorithm = text[..<colon]
        guard algorithm == "sha256" else {
            throw SlipwayError.badInput("'\(text)' is not a sha256 digest (algorithm '\(algorithm)'); only sha256 digests are supported")
        }
        self = try Digest(hex: text[text.index(after: colon)...], whole: text)
    }

    /// A digest from its 64 lowercase hex digits (a store's file name), refused otherwise.
    public init(hex: some StringProtocol) throws {
        self = try Digest(hex: hex, whole: String(hex))
    }

    private init(hex: some StringProtocol, whole: String) throws {
        guard hex.utf8.count == Self.hexCount else {
            throw SlipwayError.badInput("'\(whole)' is not a valid sha256 digest: it has \(hex.count) hex digits, not \(Self.hexCount)")
        }
        if let bad = hex.first(where: { !Self.isLowercaseHex($0) }) {
            throw SlipwayError.badInput("'\(whole)' is not a valid sha256 digest: '\(bad)' is not a lowercase hex digit")
        }
        self.hex = String(hex)
    }

    /// The SHA-256 of `bytes`.
    public static func of(_ bytes: some DataProtocol) -> Digest {
        var stream = SHA256Stream()
        stream.update(Data(bytes))
        return stream.finalize()
    }

    /// `sha256:<hex>`.
    public var description: String { Self.algorithmPrefix + hex }

    /// The first 12 hex digits, as listings show a digest (`3f2a9c1b0d4e`); unique in practice,
    /// and accepted back by every lookup as a prefix.
    public var short: String { String(hex.prefix(12)) }

    /// Whether this digest starts with `prefix`.
    public func hasPrefix(_ prefix: DigestPrefix) -> Bool {
        hex.hasPrefix(prefix.hex)
    }

    public static func < (a: Digest, b: Digest) -> Bool { a.hex < b.hex }

    static func isLowercaseHex(_ c: Character) -> Bool {
        ("0"..."9").contains(c) || ("a"..."f").contains(c)
    }
}

extension Digest: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try Digest(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: String(describing: error))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
