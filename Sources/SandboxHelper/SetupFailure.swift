import Glibc

/// A setup step that failed, reported to the service as `error <step>: <reason>`.
struct SetupFailure: Error {
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

    var errnoName: String { message }
}

/// errno names, so reports read `EPERM` rather than only the localized text.
enum ErrorName {
    static func describe(_ code: Int32) -> String {
        let text = String(cString: strerror(code))
        let names: [Int32: String] = [
            EPERM: "EPERM", ENOENT: "ENOENT", EACCES: "EACCES", EINVAL: "EINVAL", EBUSY: "EBUSY",
            ENOSPC: "ENOSPC", ENOTDIR: "ENOTDIR", EEXIST: "EEXIST", ENOSYS: "ENOSYS", ELOOP: "ELOOP",
            EXDEV: "EXDEV", ENODEV: "ENODEV", EROFS: "EROFS", EOVERFLOW: "EOVERFLOW", EAGAIN: "EAGAIN",
            ENOMEM: "ENOMEM", EUSERS: "EUSERS", ENOEXEC: "ENOEXEC", ENAMETOOLONG: "ENAMETOOLONG",
        ]
        if let name = names[code] { return "\(name) (\(text))" }
        return "errno \(code) (\(text))"
    }
}

/// Returns `result` or throws the failure of `step` when it is -1.
@discardableResult
func check<T: BinaryInteger>(_ step: @autoclosure () -> String, _ result: T) throws(SetupFailure) -> T {
    if result == -1 { throw SetupFailure(step: step()) }
    return result
}
