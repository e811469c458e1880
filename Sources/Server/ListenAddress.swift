import Foundation
import SlipwayCore

/// `HOST:PORT` for `slipway serve --listen` (`[::1]:8080` for IPv6; port 0 picks a free one).
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public static func parse(_ text: String) throws -> ListenAddress {
        let host: Substring, port: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw invalid(text) }
            port = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else { throw invalid(text) }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, let number = Int(port), (0...65535).contains(number) else { throw invalid(text) }
        return ListenAddress(host: String(host), port: number)
    }

    /// Only this machine can connect: the default that lets read-only requests go without a token.
    public var isLoopback: Bool { Self.isLoopback(host: host) }

    /// Exactly `localhost`, or an IP address literal inside 127.0.0.0/8 or equal to ::1, read
    /// by the C library's parser: `127.0.0.1.attacker.example` is a DNS name, not a literal.
    static func isLoopback(host: String) -> Bool {
        if host.lowercased() == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return UInt32(bigEndian: v4.s_addr) >> 24 == 127 }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, host, &v6) == 1 else { return false }
        return withUnsafeBytes(of: &v6) { $0.elementsEqual([UInt8](repeating: 0, count: 15) + [1]) }
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    private static func invalid(_ text: String) -> SlipwayError {
        .badInput("--listen `\(text)` is not HOST:PORT (for example 127.0.0.1:8080 or [::1]:8080)")
    }
}
