import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import SlipwayCore

/// What every HTTP client of Slipway (registries, object storage) judges the same way: bodies
/// read under a limit, transport errors said shortly, which of them are worth another try.
public enum HTTPTransport {
    /// The whole body, refusing more than `limit` bytes (checked against Content-Length first).
    public static func collect(_ response: HTTPClientResponse, limit: Int, what: String) async throws -> Data {
        if let length = response.headers.first(name: "Content-Length").flatMap(Int.init), length > limit {
            throw SlipwayError.badInput("\(what) is \(length) bytes, over the limit of \(limit >> 20) MiB; refused")
        }
        do {
            let buffer = try await response.body.collect(upTo: limit)
            return Data(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw SlipwayError.badInput("\(what) is over the limit of \(limit >> 20) MiB; refused")
        } catch {
            throw SlipwayError.failed("\(what): the transfer broke off: \(reason(error))", cause: error)
        }
    }

    /// `host[:port]` of a URL.
    public static func authority(_ url: String) -> String {
        guard let c = URLComponents(string: url), let host = c.host else { return url }
        return c.port.map { "\(host):\($0)" } ?? host
    }

    public static func isTLS(_ error: any Error) -> Bool {
        error is NIOSSLError || error is NIOSSLExtraError || String(reflecting: type(of: error)).contains("SSL")
    }

    /// Connection failures and resets: worth another try.
    public static func isTransient(_ error: any Error) -> Bool {
        if error is CancellationError { return false }
        if let error = error as? HTTPClientError, error == .cancelled || error == .deadlineExceeded { return false }
        return true
    }

    /// A short reason for a transport error.
    public static func reason(_ error: any Error) -> String {
        let text = String(describing: error)
        for (needle, short) in [("Connection refused", "connection refused"), ("Connection reset", "connection reset"),
                                ("remoteConnectionClosed", "the connection closed early"), ("connectTimeout", "connect timed out"),
                                ("readTimeout", "read timed out"), ("No route to host", "no route to host"),
                                ("Name or service not known", "unknown host"), ("NXDOMAIN", "unknown host")]
        where text.contains(needle) {
            return short
        }
        return text.count > 300 ? String(text.prefix(300)) + "…" : text
    }
}
