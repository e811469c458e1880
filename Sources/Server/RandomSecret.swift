import Foundation

/// Secrets the service makes for itself (the API token, the webhook key).
enum RandomSecret {
    /// `count` bytes from the kernel's CSPRNG (SystemRandomNumberGenerator is getrandom on
    /// Linux), as lowercase hex.
    static func hex(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return hexString((0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    static func hexString(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
