import CLinux
import Glibc

/// The helper's program: fds 0-4 as the service set them up (see `main.swift`), one sandbox
/// run, then exit with 0 (the sandbox's status goes on the report pipe) or 125 (set-up failed).
public enum HelperMain {
    public static func run() -> Never {
        // Anything the service leaked past its CLOEXEC discipline stops here.
        _ = cl_close_fds_from(5)
        StepTrace.start()
        StepTrace.mark("helper-main")
        signal(SIGPIPE, SIG_IGN)
        do {
            let spec = HelperSpec(try SpecReader.read(from: 3))
            StepTrace.mark("spec-read")
            exit(Supervisor(spec: spec, lifeline: 3).run())
        } catch {
            ReportChannel.fail(error)
            exit(125)
        }
    }
}
