import Glibc
import SandboxWire

/// A setup step that failed, reported to the service as `error <step>: <reason>`.
struct SetupFailure: Error, Equatable {
    var step: String
    var message: String

    init(step: String, message: String) {
        self.step = step
        self.message = message
    }

    /// A failed system call: the step and errno, rendered like `mount(bind /workspace): EPERM (...)`.
    init(step: String, errno code: Int32 = Glibc.errno) {
        self.step = step
        self.message = ErrorName.describe(code)
    }

    /// The failure as the service receives it: `error <step>: <reason>`.
    var record: ReportRecord { .setupFailure("\(step): \(message)") }
}

/// errno names, so reports read `EPERM` rather than only the localized text. A switch, not a
/// dictionary: building a `[Int32: String]` costs the helper a runtime type instantiation on
/// every sandbox start (lookups of optional /proc paths fail routinely).
enum ErrorName {
    static func describe(_ code: Int32) -> String {
        let text = String(cString: strerror(code))
        if let name = name(code) { return "\(name) (\(text))" }
        return "errno \(code) (\(text))"
    }

    private static func name(_ code: Int32) -> String? {
        switch code {
        case EPERM: "EPERM"
        case ENOENT: "ENOENT"
        case EACCES: "EACCES"
        case EINVAL: "EINVAL"
        case EBUSY: "EBUSY"
        case ENOSPC: "ENOSPC"
        case ENOTDIR: "ENOTDIR"
        case EEXIST: "EEXIST"
        case ENOSYS: "ENOSYS"
        case ELOOP: "ELOOP"
        case EXDEV: "EXDEV"
        case ENODEV: "ENODEV"
        case EROFS: "EROFS"
        case EOVERFLOW: "EOVERFLOW"
        case EAGAIN: "EAGAIN"
        case ENOMEM: "ENOMEM"
        case EUSERS: "EUSERS"
        case ENOEXEC: "ENOEXEC"
        case ENAMETOOLONG: "ENAMETOOLONG"
        default: nil
        }
    }
}

/// Returns `result` or throws the failure of `step` when it is -1.
@discardableResult
func check<T: BinaryInteger>(_ step: @autoclosure () -> String, _ result: T) throws(SetupFailure) -> T {
    if result == -1 { throw SetupFailure(step: step()) }
    return result
}
