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
    Loopback.get(path, port: port, http: "1.0").map { ($0.status, $0.body) }
}
