import Foundation

/// Replaces secret values in log text with `***`: the value itself, each line of a
/// multi-line value, its URL-encoded forms (as a secret appears in a URL or a form body), and
/// its base64 forms at every byte alignment (so a secret inside a longer base64 blob, such as
/// a docker auth config, is caught too).
public struct SecretMasker: Sendable {
    public static let mask = "***"
    /// Longest first, so a secret that contains another is masked whole.
    private let needles: [String]

    public init(secrets: [String]) {
        var found: Set<String> = []
        for secret in secrets where !secret.isEmpty {
            found.insert(secret)
            let lines = secret.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            if lines.count > 1 { found.formUnion(lines.filter { $0.count >= 3 }) }
            found.formUnion(Self.base64Forms(of: Data(secret.utf8)).filter { $0.count >= 4 })
            found.formUnion(Self.urlForms(of: secret))
        }
        needles = found.sorted { $0.count != $1.count ? $0.count > $1.count : $0 < $1 }
    }

    public var isEmpty: Bool { needles.isEmpty }

    public func apply(_ text: String) -> String {
        guard !needles.isEmpty else { return text }
        var out = text
        for needle in needles where out.contains(needle) {
            out = out.replacingOccurrences(of: needle, with: Self.mask)
        }
        return out
    }

    /// Percent-encoded as a URL component and as a form value (space as `+`), upper- and
    /// lowercase hex, where that differs from the secret itself.
    static func urlForms(of secret: String) -> Set<String> {
        let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
        var forms: Set<String> = []
        for hex in ["%02X", "%02x"] {
            for plusForSpace in [false, true] {
                var out = ""
                for byte in secret.utf8 {
                    if unreserved.contains(byte) { out.unicodeScalars.append(UnicodeScalar(byte)) }
                    else if plusForSpace && byte == 0x20 { out += "+" }
                    else { out += "%" + String(format: hex, byte) }
                }
                if out != secret { forms.insert(out) }
            }
        }
        return forms
    }

    /// The base64 characters that depend only on the secret's bytes, for the secret starting
    /// at byte offset 0, 1 and 2 of a longer encoded stream.
    static func base64Forms(of bytes: Data) -> [String] {
        (0..<3).compactMap { offset in
            let encoded = Array((Data(count: offset) + bytes).base64EncodedString().utf8)
            let firstBit = offset * 8, endBit = (offset + bytes.count) * 8
            let first = (firstBit + 5) / 6, end = endBit / 6
            guard end > first else { return nil }
            return String(decoding: encoded[first..<end], as: UTF8.self)
        }
    }
}
