import Foundation
import SlipwayCore

/// Names a process so that a reused pid is not mistaken for it, nor a process on another
/// machine for one on this: `PID:STARTTIME@MACHINE`, the start time in clock ticks since boot
/// from `/proc/PID/stat`. The machine is `$SLIPWAY_MACHINE` or `HOSTNAME/BOOT` (the first 8
/// characters of the kernel's boot id), so a reboot makes a new machine too. Owners written
/// before machines were named (`PID:STARTTIME`) are of this machine.
enum ProcessIdentity {
    static let machine: String = {
        if let named = environmentVariable("SLIPWAY_MACHINE"), !named.isEmpty { return named }
        let boot = (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines).prefix(8) ?? "unknown"
        return "\(hostName)/\(boot)"
    }()

    /// This machine's host name (gethostname: no name lookup).
    static let hostName: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    static let current: String = "\(identity(of: getpid()) ?? "\(getpid()):0")@\(machine)"

    /// `PID:STARTTIME` of a process on this machine.
    static func identity(of pid: pid_t) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // Fields after the command name (which may hold spaces): state is field 3, starttime 22.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19 else { return nil }
        return "\(pid):\(fields[19])"
    }

    /// The machine an identity names; nil for one written before machines were named.
    static func machine(of identity: String) -> String? {
        identity.firstIndex(of: "@").map { String(identity[identity.index(after: $0)...]) }
    }

    /// Whether the identity names a process of this machine, whose pid can be looked up.
    static func isLocal(_ identity: String) -> Bool {
        machine(of: identity).map { $0 == machine } ?? true
    }

    /// True while the process the identity names is running (a zombie counts as gone); only
    /// for a process of this machine (`isLocal`): another machine's is known by its heartbeat.
    static func isAlive(_ identity: String) -> Bool {
        let process = identity.split(separator: "@", maxSplits: 1).first.map(String.init) ?? identity
        guard let pid = pid_t(process.split(separator: ":").first ?? "") else { return false }
        if let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
           let close = text.lastIndex(of: ")"), text[text.index(after: close)...].split(separator: " ").first == "Z" {
            return false
        }
        return Self.identity(of: pid) == process
    }
}
