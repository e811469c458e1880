import Foundation
import Synchronization

/// A minimal HTTP/1.1 server on 127.0.0.1 for what a real server cannot be made to do: a
/// token issuer for the registry's `auth: token`, and a hostile registry that lies about
/// lengths, cuts bodies short or redirects in circles. One thread per connection; the handler
/// returns the exact bytes to send, after which the connection is closed. It lives as long as
/// the test process.
public final class TinyHTTPServer: Sendable {
    public struct Request: Sendable {
        public var method: String
        /// The request target: path and query.
        public var target: String
        /// Header names lowercased.
        public var headers: [String: String]

        public var path: String { String(target.split(separator: "?", maxSplits: 1).first ?? "") }

        /// A query parameter, percent-decoded.
        public func query(_ name: String) -> String? {
            URLComponents(string: "http://x" + target)?.queryItems?.first { $0.name == name }?.value
        }
    }

    public let port: Int
    public var address: String { "127.0.0.1:\(port)" }
    /// Requests received, in order, for tests that count them.
    public var requests: [Request] { log.items.withLock { $0 } }
    private let log = RequestLog()

    private final class RequestLog: Sendable {
        let items = Mutex<[Request]>([])
    }

    public init(handler: @escaping @Sendable (Request) -> Data) throws {
        let (fd, port) = try Loopback.listener(backlog: 64)
        self.port = port
        let log = self.log
        Thread.detachNewThread {
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { if errno == EINTR { continue } else { return } }
                Thread.detachNewThread {
                    defer { close(client) }
                    guard let request = Self.readRequest(client) else { return }
                    log.items.withLock { $0.append(request) }
                    let reply = handler(request)
                    reply.withUnsafeBytes { bytes in
                        var offset = 0
                        while offset < bytes.count {
                            let n = send(client, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                            if n <= 0 { return }
                            offset += n
                        }
                    }
                    shutdown(client, Int32(SHUT_WR))
                }
            }
        }
    }

    /// A complete response with `Content-Length` and `Connection: close`.
    public static func response(_ status: Int, _ headers: [(String, String)] = [], body: Data = Data()) -> Data {
        var head = "HTTP/1.1 \(status) \(reason(status))\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        return Data(head.utf8) + body
    }

    public static func json(_ status: Int, _ object: Any, headers: [(String, String)] = []) -> Data {
        let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return response(status, [("Content-Type", "application/json")] + headers, body: body)
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 302: "Found"
        case 307: "Temporary Redirect"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }

    private static func readRequest(_ fd: Int32) -> Request? {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while data.range(of: Data("\r\n\r\n".utf8)) == nil {
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0, data.count < 1 << 16 else { return nil }
            data.append(contentsOf: buffer[0..<n])
        }
        let head = String(decoding: data, as: UTF8.self).components(separatedBy: "\r\n\r\n")[0]
        let lines = head.components(separatedBy: "\r\n")
        let first = lines[0].split(separator: " ")
        guard first.count >= 2 else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Request(method: String(first[0]), target: String(first[1]), headers: headers)
    }
}
