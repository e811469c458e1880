/// One record on the report pipe (the helper's fd 4), written by the helper, its sandbox's init
/// and the payload, read by the service. On the wire a record is one line, `kind text\n`, short
/// enough (< PIPE_BUF) that concurrent writers never interleave.
public enum ReportRecord: Equatable, Sendable {
    /// A setup step failed; the command never ran (`error step: reason`).
    case setupFailure(String)
    /// The command could not be executed (`exec program: reason`).
    case execFailure(String)
    /// A requested limit that could not be applied, in plain words.
    case unenforced(String)
    /// Why the sandbox ended when it was not the command's own doing.
    case message(String)
    /// A limit the build ran into (the process limit, a full /tmp or upper layer), in plain
    /// words naming it: the build has failed even when its command carried on.
    case limitReached(String)
    /// How the sandbox ended.
    case result(ExitRecord)

    /// The longest line written, newline included: below PIPE_BUF (4096) with room to spare.
    public static let maximumLineLength = 3_001

    public var kind: String {
        switch self {
        case .setupFailure: "error"
        case .execFailure: "exec"
        case .unenforced: "unenforced"
        case .message: "message"
        case .limitReached: "limit"
        case .result: "result"
        }
    }

    /// The record's line, newline included. Newlines inside the text become spaces and text
    /// past `maximumLineLength` is cut between characters.
    public var line: [UInt8] {
        let text = switch self {
        case .setupFailure(let text), .execFailure(let text), .unenforced(let text), .message(let text), .limitReached(let text): text
        case .result(let exit): "\(exit.status) \(exit.reason.rawValue) \(exit.duration)"
        }
        var bytes = Array(kind.utf8)
        bytes.reserveCapacity(bytes.count + 1 + text.utf8.count + 1)
        bytes.append(UInt8(ascii: " "))
        let limit = Self.maximumLineLength - 1
        for scalar in text.unicodeScalars {
            let width = scalar == "\n" ? 1 : UTF8.width(scalar)
            if bytes.count + width > limit { break }
            if scalar == "\n" { bytes.append(UInt8(ascii: " ")) } else { UTF8.encode(scalar) { bytes.append($0) } }
        }
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    /// Decodes one line (without its newline).
    public init(line: some StringProtocol) throws(WireError) {
        let kind = line.prefix { $0 != " " }
        let text = String(line.dropFirst(kind.count + 1))
        switch kind {
        case "error": self = .setupFailure(text)
        case "exec": self = .execFailure(text)
        case "unenforced": self = .unenforced(text)
        case "message": self = .message(text)
        case "limit": self = .limitReached(text)
        case "result": self = .result(try ExitRecord(text))
        default:
            throw WireError(.unknownKey, "unknown report record '\(WireSpec.printable(String(line)))'")
        }
    }
}

/// How a sandbox ended: the status as a shell reports it, why, and how long it ran.
public struct ExitRecord: Equatable, Sendable {
    public enum Reason: String, Sendable, CaseIterable { case exited, signaled, timedOut, outOfMemory, cancelled, limitExceeded }

    /// The command's exit code, 128 + a signal, 124 for a timeout, 137 for a memory kill or
    /// when the process limit was reached.
    public var status: Int32
    public var reason: Reason
    /// Seconds from the helper's start to the sandbox's end.
    public var duration: Double

    public init(status: Int32, reason: Reason, duration: Double) {
        (self.status, self.reason, self.duration) = (status, reason, duration)
    }

    /// Parses `status reason seconds`.
    init(_ text: String) throws(WireError) {
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, let status = Int32(parts[0]), let reason = Reason(rawValue: String(parts[1])),
              let duration = Double(parts[2]), duration.isFinite, duration >= 0 else {
            throw WireError(.badValue, "malformed result record '\(WireSpec.printable(text))' (expected: status reason seconds)")
        }
        self.init(status: status, reason: reason, duration: duration)
    }
}
