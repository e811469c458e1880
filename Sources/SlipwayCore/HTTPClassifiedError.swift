import Foundation

/// An error that knows which HTTP status answers it, so an HTTP layer maps errors through
/// this one property instead of a switch over every module's types.
public protocol HTTPClassifiedError: Error {
    /// 4xx when the request is at fault or refused, 5xx when the server is.
    var httpStatus: Int { get }
}

extension SlipwayError: HTTPClassifiedError {
    /// Bad input 400, not found 404, a job that failed or a state that refuses the request 409,
    /// corrupt data 500; a failure of the machine (a system call, the disk, the database)
    /// anywhere in the chain is 503 when retrying later can help (disk full, out of memory or
    /// file descriptors, busy) and 500 otherwise, never 409.
    public var httpStatus: Int {
        switch kind {
        case .badInput: return 400
        case .notFound: return 404
        case .failed, .corrupt, .system:
            if let failure = systemFailure {
                return failure.errno.map(Self.isTransient) == true || failure.busy ? 503 : 500
            }
            return kind == .failed ? 409 : 500
        }
    }

    /// How the machine failed, if it did anywhere in the chain: a `.system` error, an errno,
    /// a POSIX error or an error that classifies itself as 5xx. The first errno found decides
    /// whether retrying can help.
    var systemFailure: (errno: Int32?, busy: Bool)? {
        var failed = false, busy = false
        for error in chain {
            switch error {
            case let error as SlipwayError:
                if let code = error.errno { return (code, false) }
                failed = failed || error.kind == .system
            case let error as POSIXError:
                return (error.code.rawValue, false)
            case let error as HTTPClassifiedError where error.httpStatus >= 500:
                failed = true
                busy = busy || error.httpStatus == 503
            default:
                continue
            }
        }
        return failed ? (nil, busy) : nil
    }

    static func isTransient(_ code: Int32) -> Bool {
        [ENOSPC, EDQUOT, ENOMEM, EMFILE, ENFILE, EAGAIN, EBUSY, ETIMEDOUT].contains(code)
    }
}
