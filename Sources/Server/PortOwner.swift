import Foundation
import NIOCore
import SlipwayCore

/// Who holds a TCP port, read from /proc: the socket's inode from /proc/net/tcp and tcp6
/// (listening sockets on that port, on the address asked for or on a wildcard), then the
/// process with a descriptor on `socket:[INODE]`. Another user's process is found only with
/// the right to read its /proc/PID/fd (root).
public enum PortOwner {
    public struct Owner: Sendable, Equatable {
        public var pid: Int32
        public var command: String
    }

    public static func find(port: Int, proc: String = "/proc") -> Owner? {
        let inodes = listeningInodes(port: port, proc: proc)
        guard !inodes.isEmpty else { return nil }
        for entry in names(in: proc) {
            guard let pid = Int32(entry) else { continue }
            for fd in names(in: "\(proc)/\(entry)/fd") {
                guard let target = link(at: "\(proc)/\(entry)/fd/\(fd)"),
                      target.hasPrefix("socket:["), inodes.contains(String(target.dropFirst(8).dropLast())) else { continue }
                let command = (try? String(contentsOfFile: "\(proc)/\(entry)/comm", encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
                return Owner(pid: pid, command: command)
            }
        }
        return nil
    }

    /// A directory's entries by readdir, which (unlike a listing that stats each entry) never
    /// fails because a process exits while /proc is read; an unreadable directory has none.
    static func names(in directory: String) -> [String] {
        (try? Syscall.directoryNames(directory)) ?? []
    }

    static func link(at path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        let count = readlink(path, &buffer, buffer.count - 1)
        return count > 0 ? String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : nil
    }

    /// Inodes of sockets listening (state 0A) on `port`, from /proc/net/tcp and tcp6.
    static func listeningInodes(port: Int, proc: String) -> Set<String> {
        var inodes = Set<String>()
        for table in ["tcp", "tcp6"] {
            guard let bytes = try? Syscall.readFile("\(proc)/net/\(table)") else { continue }
            let text = String(decoding: bytes, as: UTF8.self)
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
                guard fields.count > 9, fields[3] == "0A", let colon = fields[1].lastIndex(of: ":"),
                      Int(fields[1][fields[1].index(after: colon)...], radix: 16) == port else { continue }
                inodes.insert(String(fields[9]))
            }
        }
        return inodes
    }

    /// "127.0.0.1:8080 is in use (by PID 4242, nginx)": a bind that failed because the
    /// address is taken, said with who holds it when /proc tells.
    public static func inUseError(_ address: ListenAddress) -> SlipwayError {
        // /proc changes while it is read (descriptors come and go): look again before giving up.
        let found = (0..<3).lazy.compactMap { attempt -> Owner? in
            if attempt > 0 { usleep(50_000) }
            return find(port: address.port)
        }.first
        let owner = found.map { " (by PID \($0.pid), \($0.command))" } ?? ""
        return SlipwayError.badInput("\(address) is in use\(owner): stop that process or choose another --listen address")
    }

    /// Whether `error` is a bind refused because the address is in use.
    public static func isAddressInUse(_ error: any Error) -> Bool {
        if let error = error as? IOError { return error.errnoCode == EADDRINUSE }
        if let error = error as? SlipwayError { return error.errno == EADDRINUSE }
        return false
    }
}
