import Foundation

/// POSIX shell quoting for text Slipway writes into scripts.
enum ShellQuoting {
    /// `'text'`, with embedded single quotes as `'\''`: safe in every POSIX shell.
    static func quote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
