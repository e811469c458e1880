// slipway-sandbox: the single-threaded helper the service posix_spawns to run one sandbox.
//
// fd 3: the spec (a 4-byte little-endian length, then the wire format), kept open by the service
//       as a lifeline: EOF means the service is gone and the sandbox is killed.
// fd 4: the report pipe (`error`, `unenforced`, `exec`, `message`, `result` lines).
// fd 0/1/2: the payload's stdin, stdout and stderr.
import CLinux
import Glibc

// Anything the service leaked past its CLOEXEC discipline stops here.
_ = cl_close_fds_from(5)
StepTrace.start()
StepTrace.mark("helper-main")
signal(SIGPIPE, SIG_IGN)

func readSpec(from fd: Int32) throws(SetupFailure) -> HelperSpec {
    func readExactly(_ count: Int) throws(SetupFailure) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + offset, count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { throw SetupFailure(step: "read spec", message: n == 0 ? "unexpected end of input" : ErrorName.describe(errno)) }
            offset += n
        }
        return bytes
    }
    let header = try readExactly(4)
    let length = Int(header[0]) | Int(header[1]) << 8 | Int(header[2]) << 16 | Int(header[3]) << 24
    guard length <= 16 << 20 else { throw SetupFailure(step: "read spec", message: "spec too large") }
    return try HelperSpec(decoding: try readExactly(length))
}

do {
    let spec = try readSpec(from: 3)
    StepTrace.mark("spec-read")
    exit(Supervisor(spec: spec, lifeline: 3).run())
} catch {
    ReportChannel.fail(error)
    exit(125)
}
