import Crypto
import Foundation
import SlipwayCore

/// The shared secret webhooks are signed with, as GitHub does: HMAC-SHA256 of the raw body in
/// `X-Hub-Signature-256: sha256=<hex>`. Kept in `serve/webhook-secret` under SLIPWAY_HOME
/// (mode 0600; HMAC needs the secret itself, so unlike the token it cannot be stored hashed).
/// Created at first start when missing; write your own secret there to match a forge's setting.
public struct WebhookSecret: Sendable {
    public let file: String

    public init(home: SlipwayHome) {
        file = home.path + "/serve/webhook-secret"
    }

    /// Creates a random secret when there is none; returns true when it did.
    @discardableResult
    public func createIfMissing() throws -> Bool {
        guard !FileManager.default.fileExists(atPath: file) else { return false }
        try makeDirectories((file as NSString).deletingLastPathComponent, mode: 0o700)
        try writeFileAtomically(Data((RandomSecret.hex(bytes: 32) + "\n").utf8), to: file, mode: 0o600)
        return true
    }

    /// The secret's bytes (surrounding whitespace dropped, as an editor may add a newline);
    /// nil when it is missing or empty, and then every webhook is refused.
    func load() -> Data? {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        let secret = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return secret.isEmpty ? nil : Data(secret.utf8)
    }

    /// Whether `header` is `sha256=<hex>` of HMAC-SHA256(secret, body); the MAC comparison is
    /// swift-crypto's constant-time one.
    func verifies(body: Data, header: String?) -> Bool {
        guard let secret = load(), let header, header.hasPrefix("sha256="),
              let mac = Self.bytes(hex: header.dropFirst("sha256=".count)), mac.count == SHA256.byteCount
        else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: body, using: SymmetricKey(data: secret))
    }

    private static func bytes(hex: Substring) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var i = 0
        while i < digits.count {
            guard let high = nibble(digits[i]), let low = nibble(digits[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
