import Foundation
import SlipwayCore
import SlipwayTestSupport

/// A plain TCP connection to the service, for what an HTTP client library hides: half-sent
/// requests, idle connections, and when the server closes.
final class RawConnection: Sendable {
    let fd: Int32

    init(port: Int, host: String = "127.0.0.1") throws {
        // `self.fd` is set only once connected: a throw after it is set runs deinit, which
        // would close the number a second time (by then another thread may have been given it).
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SlipwayError.system("socket") }
        var address = Loopback.address(port: port, host: host)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let error = SlipwayError.system("connect \(host):\(port)")
            close(fd)
            throw error
        }
        self.fd = fd
    }

    deinit { close(fd) }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// What arrives within `timeout`, until the server closes (then `closed` is true) or the
    /// time is up.
    func read(for timeout: Duration, until stop: (String) -> Bool = { _ in false }) -> (text: String, closed: Bool) {
        let deadline = ContinuousClock.now + timeout
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while ContinuousClock.now < deadline {
            let left = deadline - ContinuousClock.now
            let ms = Int32(max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, ms) > 0 else { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { return (String(decoding: data, as: UTF8.self), true) }
            data += buffer[0..<n]
            if stop(String(decoding: data, as: UTF8.self)) { break }
        }
        return (String(decoding: data, as: UTF8.self), false)
    }

    /// A whole GET on a fresh connection, answered within `timeout`; nil when it was not.
    static func get(_ path: String, port: Int, timeout: Duration = .seconds(1)) -> String? {
        let started = ContinuousClock.now
        guard let connection = try? RawConnection(port: port) else { return nil }
        connection.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n")
        let reply = connection.read(for: timeout - (ContinuousClock.now - started))
        return reply.closed && reply.text.hasPrefix("HTTP/1.1") ? reply.text : nil
    }
}

