import SlipwayCore

/// What the helper said on the report pipe, one line per record.
struct HelperReport {
    var setupFailures: [String] = []
    var execFailures: [String] = []
    var unenforced: [String] = []
    var messages: [String] = []
    var result: (status: Int32, reason: SandboxResult.Reason, duration: Double)?

    mutating func consume(_ line: String) {
        let kind = line.prefix { $0 != " " }
        let text = String(line.dropFirst(kind.count + 1))
        switch kind {
        case "error": setupFailures.append(text)
        case "exec": execFailures.append(text)
        case "unenforced": unenforced.append(text)
        case "message": messages.append(text)
        case "result":
            let parts = text.split(separator: " ")
            if parts.count == 3, let status = Int32(parts[0]), let reason = SandboxResult.Reason(rawValue: String(parts[1])),
               let duration = Double(parts[2]) {
                result = (status, reason, duration)
            }
        default: break
        }
    }

    /// The result, or the error that stopped the sandbox from running the command.
    func outcome(helperStatus: Int32) throws -> SandboxResult {
        if let failure = setupFailures.first {
            throw SlipwayError.failed("sandbox setup failed: \(failure)")
        }
        guard let result else {
            throw SlipwayError.failed("sandbox helper ended (status \(helperStatus)) without a result")
        }
        // exec failures are already in the output stream as a stderr line.
        let message = messages.joined(separator: "; ")
        return SandboxResult(status: result.status, reason: result.reason, duration: result.duration,
                             unenforcedLimits: unenforced, message: message.isEmpty ? nil : message)
    }
}
