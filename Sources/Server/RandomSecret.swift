import Foundation
import SlipwayCore

/// Secrets the service makes for itself (the API token, the webhook key).
enum RandomSecret {
    /// `count` bytes from the kernel's CSPRNG (SystemRandomNumberGenerator is getrandom on
    /// Linux), as lowercase hex.
    static func hex(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return Hex.encode((0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }
}
