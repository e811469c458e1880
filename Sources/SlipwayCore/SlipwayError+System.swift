import Foundation

/// Failed system calls: one factory per call, each keeping the call's name, errno and the
/// remedy for the errno values a user can do something about.
extension SlipwayError {
    /// A failed system call `call` on `subject` ("open", "/etc/x"); `message` is "open /etc/x".
    public static func system(call: String, _ subject: String? = nil, errno code: Int32 = Glibc.errno) -> SlipwayError {
        SlipwayError(.system, subject.map { "\(call) \($0)" } ?? call, call: call, errno: code)
    }

    /// A failed system call described by `what`, which starts with the call's name, as in
    /// "open /etc/x" or "rename a to b".
    public static func system(_ what: String, errno code: Int32 = Glibc.errno) -> SlipwayError {
        let call = what.prefix { $0 != " " && $0 != "(" }
        return SlipwayError(.system, what, call: call.isEmpty ? nil : String(call), errno: code)
    }

    /// open(2) of an existing file or directory.
    public static func open(_ path: String, errno code: Int32 = Glibc.errno) -> SlipwayError {
        system(call: "open", path, errno: code)
    }

    /// open(2) with O_CREAT.
    public static func create(_ path: String, errno code: Int32 = Glibc.errno) -> SlipwayError {
        SlipwayError(.system, "create \(path)", call: "open", errno: code)
    }

    public static func mkdir(_ path: String, errno code: Int32 = Glibc.errno) -> SlipwayError {
        system(call: "mkdir", path, errno: code)
    }

    public static func rename(_ from: String, to destination: String, errno code: Int32 = Glibc.errno) -> SlipwayError {
        system(call: "rename", "\(from) to \(destination)", errno: code)
    }

    public static func read(_ path: String, errno code: Int32 = Glibc.errno) -> SlipwayError {
        system(call: "read", path, errno: code)
    }

    public static func write(_ path: String, errno code: Int32 = Glibc.errno) -> SlipwayError {
        system(call: "write", path, errno: code)
    }

    public static func stat(_ path: String, errno code: Int32 = Glibc.errno) -> SlipwayError {
        system(call: "stat", path, errno: code)
    }

    public static func chmod(_ path: String, errno code: Int32 = Glibc.errno) -> SlipwayError {
        system(call: "chmod", path, errno: code)
    }

    /// What the user can do about `errno` from `call`, when there is something.
    static func remedy(call: String?, errno code: Int32) -> String? {
        switch (call, code) {
        case (_, ENOSPC): "the disk is full: free space and retry"
        case (_, EDQUOT): "disk quota exceeded"
        case (_, EACCES), (_, EPERM): "permission denied: check ownership or run with the needed privileges"
        case (_, EROFS): "the file system is read-only"
        case (_, EMFILE), (_, ENFILE): "too many open files: raise the limit (ulimit -n) or retry"
        case ("rename", EXDEV): "the two paths are on different file systems"
        case ("rename", ENOTEMPTY), ("rename", EEXIST): "the destination exists and is not empty"
        default: nil
        }
    }
}
