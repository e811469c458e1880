import Foundation

/// The one error type every Slipway module throws.
///
/// `message` says what went wrong and, where it can, how to fix it; `kind` decides the exit
/// status (bad input or usage: 2, a job that failed: 1).
public struct SlipwayError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable, Codable {
        /// The user's input is wrong: a file, a flag, an archive, a spec. Exit 2.
        case badInput
        /// Something was looked up and is not there. Exit 2.
        case notFound
        /// The job ran and failed, or the system refused (disk full, permission). Exit 1.
        case failed
        /// Stored data does not match its digest. Exit 1.
        case corrupt
    }

    public var kind: Kind
    public var message: String
    /// errno when a system call failed.
    public var errno: Int32?

    public init(_ kind: Kind, _ message: String, errno: Int32? = nil) {
        self.kind = kind
        self.message = message
        self.errno = errno
    }

    public var description: String { message }

    public var exitCode: Int32 {
        switch kind {
        case .badInput, .notFound: return 2
        case .failed, .corrupt: return 1
        }
    }

    public static func badInput(_ message: String) -> SlipwayError { .init(.badInput, message) }
    public static func notFound(_ message: String) -> SlipwayError { .init(.notFound, message) }
    public static func failed(_ message: String) -> SlipwayError { .init(.failed, message) }
    public static func corrupt(_ message: String) -> SlipwayError { .init(.corrupt, message) }

    /// A failed system call: "`what`: strerror (ERRNO)", with a remedy for the common cases.
    public static func system(_ what: String, errno code: Int32 = Glibc.errno) -> SlipwayError {
        var text = "\(what): \(String(cString: strerror(code)))"
        switch code {
        case ENOSPC: text += " (the disk is full: free space and retry)"
        case EDQUOT: text += " (disk quota exceeded)"
        case EACCES, EPERM: text += " (permission denied: check ownership or run with the needed privileges)"
        case EROFS: text += " (the file system is read-only)"
        default: break
        }
        return SlipwayError(.failed, text, errno: code)
    }
}
