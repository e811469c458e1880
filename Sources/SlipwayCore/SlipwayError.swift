import Foundation

/// The one error type every Slipway module throws.
///
/// `message` says what went wrong at this level and, where it can, how to fix it; `cause` is
/// the error underneath, kept whole rather than flattened into the message; a failed system
/// call also carries its name (`call`) and `errno`. `description` renders the chain once,
/// outermost first: "could not record run 4: write /var/lib/slipway/state.db: No space left
/// on device (the disk is full: free space and retry)". `kind` decides the exit status and
/// the HTTP status (`httpStatus`).
public struct SlipwayError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable, Codable {
        /// The user's input is wrong: a file, a flag, an archive, a spec. Exit 2, HTTP 400.
        case badInput
        /// Something was looked up and is not there. Exit 2, HTTP 404.
        case notFound
        /// The job ran and failed, or the current state refuses the request. Exit 1, HTTP 409.
        case failed
        /// Stored data does not match its digest. Exit 1, HTTP 500.
        case corrupt
        /// The machine failed: a system call, the disk, the database. Exit 1, HTTP 500/503.
        case system
    }

    public var kind: Kind
    /// What went wrong at this level, without the cause's text.
    public var message: String
    /// The system call that failed (`open`, `rename`), when one did.
    public var call: String?
    /// errno when a system call failed.
    public var errno: Int32?
    /// The error underneath this one.
    public var cause: (any Error)?

    public init(_ kind: Kind, _ message: String, call: String? = nil, errno: Int32? = nil, cause: (any Error)? = nil) {
        self.kind = kind
        self.message = message
        self.call = call
        self.errno = errno
        self.cause = cause
    }

    public static func badInput(_ message: String, cause: (any Error)? = nil) -> SlipwayError {
        .init(.badInput, message, cause: cause)
    }

    public static func notFound(_ message: String, cause: (any Error)? = nil) -> SlipwayError {
        .init(.notFound, message, cause: cause)
    }

    public static func failed(_ message: String, cause: (any Error)? = nil) -> SlipwayError {
        .init(.failed, message, cause: cause)
    }

    public static func corrupt(_ message: String, cause: (any Error)? = nil) -> SlipwayError {
        .init(.corrupt, message, cause: cause)
    }

    /// `message` in front of `cause`, of the cause's kind when it is a `SlipwayError` (a
    /// missing file stays "not found", a full disk stays a system failure) and `otherwise`
    /// when it is not.
    public static func wrapping(_ cause: any Error, _ message: String, otherwise: Kind = .system) -> SlipwayError {
        .init((cause as? SlipwayError)?.kind ?? otherwise, message, cause: cause)
    }

    /// Exit status: 2 for bad usage or input, 1 when the job or the machine failed.
    public var exitCode: Int32 {
        switch kind {
        case .badInput, .notFound: return 2
        case .failed, .corrupt, .system: return 1
        }
    }

    // MARK: - Rendering

    /// This level alone: the message, and for a failed system call its strerror and remedy.
    public var ownText: String {
        guard let errno else { return message }
        let reason = String(cString: strerror(errno)) + (Self.remedy(call: call, errno: errno).map { " (\($0))" } ?? "")
        return message.isEmpty ? reason : message + ": " + reason
    }

    /// The whole chain, outermost first, each level once: a level whose text the outer ones
    /// already end with (a wrapper that quoted its cause, a repeated message) is left out.
    public var description: String {
        var text = ""
        for error in chain {
            let part = Self.ownText(of: error)
            if part.isEmpty || text.hasSuffix(part) { continue }
            text += text.isEmpty ? part : ": " + part
        }
        return text
    }

    /// This error and its causes, outermost first.
    public var chain: [any Error] {
        var errors: [any Error] = [self]
        var next = cause
        while let error = next, errors.count < 64 {
            errors.append(error)
            next = (error as? SlipwayError)?.cause
        }
        return errors
    }

    /// How one level of a chain reads: Slipway's own text, Foundation's localized sentence for
    /// its file errors (instead of a dump of the userInfo), any other error's description.
    static func ownText(of error: any Error) -> String {
        switch error {
        case let error as SlipwayError: error.ownText
        case let error as CocoaError: error.localizedDescription
        case let error as POSIXError: String(cString: strerror(error.code.rawValue))
        default: String(describing: error)
        }
    }
}
