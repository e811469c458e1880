import Foundation
import SlipwayTestSupport

extension TinyHTTPServer {
    /// A file server that resolves `root + path` on every request (as nginx does without
    /// open_file_cache), so it sees each switch of `current`.
    static func files(under root: String) throws -> TinyHTTPServer {
        try TinyHTTPServer { request in
            guard let body = FileManager.default.contents(atPath: root + request.path) else { return response(404) }
            return response(200, body: body)
        }
    }
}

/// GETs a URL path from 127.0.0.1:port; the status and body, or nil on a connection error.
func httpGet(port: Int, path: String) -> (status: Int, body: [UInt8])? {
    guard let fd = Loopback.connect(port: port) else { return nil }
    defer { close(fd) }
    let request = Array("GET \(path) HTTP/1.0\r\n\r\n".utf8)
    guard request.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == request.count else { return nil }
    var response = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = read(fd, &buffer, buffer.count)
        if n < 0 { return nil }
        if n == 0 { break }
        response.append(contentsOf: buffer[0..<n])
    }
    guard let end = response.firstRange(of: Array("\r\n\r\n".utf8)) else { return nil }
    let head = String(decoding: response[..<end.lowerBound], as: UTF8.self).split(separator: " ")
    guard head.count > 1, let status = Int(head[1]) else { return nil }
    return (status, Array(response[end.upperBound...]))
}
