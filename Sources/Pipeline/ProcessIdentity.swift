import Foundation

/// Names a process so that a reused pid is not mistaken for it: `pid:starttime`, the start
/// time in clock ticks since boot from `/proc/PID/stat`.
enum ProcessIdentity {
    static let current: String = identity(of: getpid()) ?? "\(getpid()):0"

    static func identity(of pid: pid_t) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // Fields after the command name (which may hold spaces): state is field 3, starttime 22.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19 else { return nil }
        return "\(pid):\(fields[19])"
    }

    /// True while the process the identity names is running (a zombie counts as gone).
    static func isAlive(_ identity: String) -> Bool {
        guard let pid = pid_t(identity.split(separator: ":").first ?? "") else { return false }
        if let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
           let close = text.lastIndex(of: ")"), text[text.index(after: close)...].split(separator: " ").first == "Z" {
            return false
        }
        return Self.identity(of: pid) == identity
    }
}
