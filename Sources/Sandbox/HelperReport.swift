import SandboxWire
import SlipwayCore

/// What the helper said on the report pipe, one record per line.
struct HelperReport {
    var setupFailures: [String] = []
    var execFailures: [String] = []
    var unenforced: [String] = []
    var messages: [String] = []
    var limits: [String] = []
    var result: ExitRecord?
    /// Lines that were not records (a helper of another version, or something else writing to
    /// the pipe): named when they leave the sandbox without a result.
    var unreadable: [String] = []

    mutating func consume(_ line: String) {
        do {
            switch try ReportRecord(line: line) {
            case .setupFailure(let text): setupFailures.append(text)
            case .execFailure(let text): execFailures.append(text)
            case .unenforced(let text): unenforced.append(text)
            case .message(let text): messages.append(text)
            case .limitReached(let text): limits.append(text)
            case .result(let exit): result = exit
            }
        } catch {
            unreadable.append(error.message)
        }
    }

    /// The result, or the error that stopped the sandbox from running the command.
    func outcome(helperStatus: Int32) throws -> SandboxResult {
        if let failure = setupFailures.first {
            throw SlipwayError.failed("sandbox setup failed: \(failure)")
        }
        guard let result else {
            let unread = unreadable.isEmpty ? "" : " (unreadable report: \(unreadable.prefix(3).joined(separator: "; ")))"
            throw SlipwayError.failed("sandbox helper ended (status \(helperStatus)) without a result\(unread)")
        }
        // exec failures are already in the output stream as a stderr line.
        var status = result.status
        var reason = SandboxResult.Reason(result.reason)
        // A limit the build ran into fails it, even when its command carried on.
        if !limits.isEmpty && (reason == .exited || reason == .signaled || reason == .limitExceeded) {
            reason = .limitExceeded
            if status == 0 { status = 1 }
        }
        let message = (limits + messages).joined(separator: "; ")
        return SandboxResult(status: status, reason: reason, duration: result.duration,
                             unenforcedLimits: unenforced, message: message.isEmpty ? nil : message)
    }
}

extension SandboxResult.Reason {
    init(_ reason: ExitRecord.Reason) {
        self = switch reason {
        case .exited: .exited
        case .signaled: .signaled
        case .timedOut: .timedOut
        case .outOfMemory: .outOfMemory
        case .cancelled: .cancelled
        case .limitExceeded: .limitExceeded
        }
    }
}
