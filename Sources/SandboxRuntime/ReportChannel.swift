import Glibc
import SandboxWire

/// The helper's side of the report pipe (fd 4), shared by the supervisor, the sandbox's init and
/// the payload: each record is one `write` of one line shorter than PIPE_BUF, so concurrent
/// writers never interleave.
enum ReportChannel {
    static let fd: Int32 = 4

    static func send(_ record: ReportRecord, to fd: Int32 = fd) {
        let line = record.line
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    static func fail(_ failure: SetupFailure, to fd: Int32 = fd) {
        send(failure.record, to: fd)
    }
}
