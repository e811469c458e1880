import Foundation

/// POSIX shell quoting for text Slipway writes into scripts.
public enum ShellQuoting {
    /// `'text'`, with embedded single quotes as `'\''`: safe in every POSIX shell.
    public static func quote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
