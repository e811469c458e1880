import Glibc
import SandboxWire

/// The two tmpfs sizes of a sandbox, checked by its PID 1 when the command has ended: a file
/// system left full means the build ran into the limit (its writes failed with ENOSPC), which
/// is reported as the limit by name rather than left as an anonymous "No space left on device".
struct SpaceLimits {
    /// An O_PATH fd on the overlay's upper directory (on the size-limited staging tmpfs).
    var upper: Int32 = -1
    var upperBytes: Int64?
    var tmpBytes: Int64?

    /// Whether anything needs checking at the end.
    var watched: Bool { (upper >= 0 && upperBytes != nil) || tmpBytes != nil }

    /// What ran full, as report records; `tmp` is the path of /tmp (after pivot_root: "/tmp").
    func check(tmp: String = "/tmp") -> [ReportRecord] {
        var records: [ReportRecord] = []
        var fs = statvfs()
        if let tmpBytes, statvfs(tmp, &fs) == 0, Self.isFull(fs) {
            records.append(.limitReached("/tmp is full: the /tmp size limit of \(CgroupLimits.bytes(tmpBytes)) was reached (tmp-size)"))
        }
        if let upperBytes, upper >= 0, fstatvfs(upper, &fs) == 0, Self.isFull(fs) {
            records.append(.limitReached("the root file system is full: the upper-layer size limit of \(CgroupLimits.bytes(upperBytes)) for writes outside the workspace and /tmp was reached (upper-size)"))
        }
        return records
    }

    /// Full: less than 64 KiB left (tmpfs counts in pages, and a write that failed for lack of
    /// space leaves at most a page or so behind).
    static func isFull(_ fs: statvfs) -> Bool {
        UInt64(fs.f_bavail) * UInt64(fs.f_frsize) < 64 << 10
    }

    /// tmpfs options with the size, when one is set.
    static func tmpfsOptions(_ base: String, size: Int64?) -> String {
        size.map { base + ",size=\($0)" } ?? base
    }
}
