import Foundation
import SlipwayCore

/// Where a deploy goes: a directory on this machine, or `ssh://[user@]host[:port]/path`.
public enum DeployTarget: Sendable, Equatable, CustomStringConvertible {
    case local(path: String)
    case remote(SSHDestination)

    public static func parse(_ text: String) throws -> DeployTarget {
        guard text.hasPrefix("ssh://") else {
            guard !text.isEmpty, !text.contains("://") else {
                throw SlipwayError.badInput("target '\(text)' is neither a directory nor ssh://[user@]host[:port]/path")
            }
            return .local(path: SlipwayHome.absolute(text))
        }
        let rest = text.dropFirst("ssh://".count)
        guard let slash = rest.firstIndex(of: "/") else {
            throw SlipwayError.badInput("target '\(text)' has no path: use ssh://[user@]host[:port]/srv/app")
        }
        var authority = String(rest[..<slash])
        let path = String(rest[slash...])
        var user: String?
        if let at = authority.lastIndex(of: "@") {
            user = String(authority[..<at])
            authority = String(authority[authority.index(after: at)...])
        }
        var port: Int?
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            guard let p = Int(authority[authority.index(after: colon)...]), (1...65535).contains(p) else {
                throw SlipwayError.badInput("target '\(text)': the port must be a number from 1 to 65535")
            }
            port = p
            authority = String(authority[..<colon])
        }
        authority = authority.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        guard !authority.isEmpty, path.count > 1 else {
            throw SlipwayError.badInput("target '\(text)' needs a host and an absolute path: ssh://[user@]host[:port]/srv/app")
        }
        return .remote(SSHDestination(user: user, host: authority, port: port, path: path))
    }

    /// The host object that carries out operations on this target.
    public func host(events: @escaping DeployEventSink, outputGrace: TimeInterval = 2,
                     sshTimeouts: SSHTimeouts = .fromEnvironment()) -> any ReleaseHost {
        switch self {
        case .local(let path): return LocalHost(root: path, events: events, outputGrace: outputGrace)
        case .remote(let destination): return RemoteHost(destination: destination, events: events, timeouts: sshTimeouts)
        }
    }

    public var description: String {
        switch self {
        case .local(let path): return path
        case .remote(let d): return d.description
        }
    }
}

/// An SSH target; the system `ssh` connects, so `~/.ssh/config`, agents and known_hosts apply.
public struct SSHDestination: Sendable, Equatable, CustomStringConvertible {
    public var user: String?
    public var host: String
    public var port: Int?
    public var path: String

    public init(user: String?, host: String, port: Int?, path: String) {
        self.user = user
        self.host = host
        self.port = port
        self.path = path
    }

    /// `user@host` as ssh takes it.
    public var login: String { (user.map { $0 + "@" } ?? "") + host }

    public var description: String { "ssh://\(login)\(port.map { ":\($0)" } ?? "")\(path)" }
}
