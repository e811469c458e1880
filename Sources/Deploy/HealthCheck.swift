import Foundation
import SlipwayCore

/// How a deploy decides a switched release is healthy, beyond its ValidateService hook.
public enum HealthCheck: Sendable, Equatable {
    /// An HTTP GET that must answer 2xx (or 3xx). `{host}` in the URL becomes the target's host.
    case http(url: String)
    /// A shell command run on the target's host that must exit 0 (`RELEASE_PATH` is set).
    case command(String)

    /// Retry policy: tries every `interval` until one succeeds or `deadline` has passed.
    public struct Policy: Sendable, Equatable {
        public var deadline: TimeInterval
        public var interval: TimeInterval
        public var requestTimeout: TimeInterval

        public init(deadline: TimeInterval = 30, interval: TimeInterval = 0.5, requestTimeout: TimeInterval = 5) {
            self.deadline = deadline
            self.interval = interval
            self.requestTimeout = requestTimeout
        }
    }

    /// Retries `attempt` until it returns nil (healthy) or the deadline passes; throws the
    /// last reason.
    static func retry(_ policy: Policy, what: String, _ attempt: () -> String?) throws {
        let deadline = Date().addingTimeInterval(policy.deadline)
        var tries = 0
        while true {
            tries += 1
            guard let problem = attempt() else { return }
            if Date().addingTimeInterval(policy.interval) >= deadline {
                throw SlipwayError.failed("health check failed: \(what): \(problem) (\(tries) tries in \(Int(policy.deadline)) s)")
            }
            usleep(UInt32(policy.interval * 1_000_000))
        }
    }
}

/// A minimal HTTP/1.1 GET over a POSIX socket (no TLS): the status code, or why it failed.
public enum HTTPProbe {
    public static func get(_ url: String, timeout: TimeInterval) -> Result<Int, SlipwayError> {
        guard let parts = parse(url) else { return .failure(.badInput("'\(url)' is not an http:// URL")) }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(parts.host, String(parts.port), &hints, &list) == 0, let first = list else {
            return .failure(.failed("cannot resolve \(parts.host)"))
        }
        defer { freeaddrinfo(list) }
        let fd = socket(first.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(.system("socket")) }
        defer { Syscall.close(fd) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        guard connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            return .failure(.system("connect to \(parts.host):\(parts.port)"))
        }
        let request = "GET \(parts.path) HTTP/1.1\r\nHost: \(parts.host)\r\nUser-Agent: slipway-health\r\nConnection: close\r\n\r\n"
        do {
            try Array(request.utf8).withUnsafeBytes { try Syscall.writeAll(fd, $0, what: "send to \(url)") }
        } catch {
            return .failure(.wrapping(error, "GET \(url)"))
        }
        var response = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !response.contains(UInt8(ascii: "\n")) {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            response.append(contentsOf: buffer[0..<n])
        }
        let status = String(decoding: response, as: UTF8.self).split(separator: " ", maxSplits: 2)
        guard status.count >= 2, status[0].hasPrefix("HTTP/"), let code = Int(status[1]) else {
            return .failure(.failed("\(url) sent no HTTP status line"))
        }
        return .success(code)
    }

    static func parse(_ url: String) -> (host: String, port: Int, path: String)? {
        guard url.hasPrefix("http://") else { return nil }
        let rest = url.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(authority.count)
        var host = String(authority), port = 80
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            host = String(authority[..<colon])
            guard let p = Int(authority[authority.index(after: colon)...]) else { return nil }
            port = p
        }
        host = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        guard !host.isEmpty else { return nil }
        return (host, port, path.isEmpty ? "/" : String(path))
    }
}
