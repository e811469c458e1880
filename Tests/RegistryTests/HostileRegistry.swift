import Foundation
import SlipwayTestSupport
import Synchronization

/// A registry that serves a test layout (`/v2/<fault>/app/manifests/<tag>` finds `<tag>` in
/// its `index.json`) and misbehaves as `<fault>` says, for what the real registry cannot be
/// made to do:
///
/// - `good`: behaves; `flaky`: each blob's first request is a 503;
/// - `corrupt`: layer bytes altered; `truncated`: a layer body cut in half, the connection closed;
///   `halfbroken`: the same for the big layer only;
/// - `liar`: a layer's Content-Length is not the manifest's size; `huge`: a 5 MiB manifest;
/// - `loop`: manifests redirect to themselves; `forbidden`: everything is a 403;
/// - `redirect`: Basic auth required, blobs redirected to a second server (`cdn`), which
///   records whether credentials came along.
final class HostileRegistry: Sendable {
    let server: TinyHTTPServer
    let cdn: TinyHTTPServer
    let image: TestImage
    static let credentials = "hostile:registry-password"

    var address: String { server.address }

    init(image: TestImage) throws {
        self.image = image
        let flaky = Mutex<Set<String>>([])
        cdn = try TinyHTTPServer { request in
            guard request.path.hasPrefix("/blobs/"), let data = image.read(String(request.path.dropFirst("/blobs/".count))) else {
                return TinyHTTPServer.response(404)
            }
            return TinyHTTPServer.response(200, [("Content-Type", "application/octet-stream")], body: data)
        }
        let cdnAddress = cdn.address
        server = try TinyHTTPServer { request in
            let parts = request.path.split(separator: "/").map(String.init)  // v2, fault, app, kind, ref
            if request.path == "/v2/" || request.path == "/v2" { return TinyHTTPServer.json(200, [:] as [String: String]) }
            guard parts.count == 5, parts[0] == "v2" else { return TinyHTTPServer.response(404) }
            let fault = parts[1], kind = parts[3], ref = parts[4]
            if fault == "redirect", request.headers["authorization"] != "Basic " + Data(Self.credentials.utf8).base64EncodedString() {
                return TinyHTTPServer.response(401, [("WWW-Authenticate", #"Basic realm="hostile""#)])
            }
            if fault == "forbidden" { return TinyHTTPServer.json(403, ["errors": [["code": "DENIED", "message": "requested access to the resource is denied"]]]) }
            if kind == "manifests" {
                if fault == "loop" { return TinyHTTPServer.response(302, [("Location", request.target)]) }
                if fault == "huge" {
                    let padding = String(repeating: " ", count: 5 << 20)
                    return TinyHTTPServer.response(200, [("Content-Type", "application/vnd.oci.image.manifest.v1+json")],
                                                   body: Data(("{\"schemaVersion\": 2" + padding + "}").utf8))
                }
                guard let digest = ref.hasPrefix("sha256:") ? ref : Self.tagged(image, ref), let data = image.read(digest) else {
                    return TinyHTTPServer.json(404, ["errors": [["code": "MANIFEST_UNKNOWN", "message": "manifest unknown"]]])
                }
                let type = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["mediaType"] as? String
                return TinyHTTPServer.response(200, [("Content-Type", type ?? "application/vnd.oci.image.manifest.v1+json"),
                                                     ("Docker-Content-Digest", digest)], body: data)
            }
            guard kind == "blobs", var data = image.read(ref) else {
                return TinyHTTPServer.json(404, ["errors": [["code": "BLOB_UNKNOWN", "message": "blob unknown"]]])
            }
            let isLayer = data.count > 2 && data[0] == 0x1f && data[1] == 0x8b  // the gzip layers, not the JSON config
            switch fault {
            case "flaky" where flaky.withLock { $0.insert(ref).inserted }:
                return TinyHTTPServer.response(503)
            case "corrupt" where isLayer:
                data[data.count / 2] ^= 0xff
            case "truncated" where isLayer, "halfbroken" where isLayer && data.count > 10_000:
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: \(data.count)\r\n\r\n"
                return Data(head.utf8) + data.prefix(data.count / 2)
            case "liar" where isLayer:
                let head = "HTTP/1.1 200 OK\r\nContent-Length: \(data.count - 7)\r\nConnection: close\r\n\r\n"
                return Data(head.utf8) + data.prefix(data.count - 7)
            case "redirect":
                return TinyHTTPServer.response(307, [("Location", "http://\(cdnAddress)/blobs/\(ref)")])
            default:
                break
            }
            return TinyHTTPServer.response(200, [("Content-Type", "application/octet-stream")], body: data)
        }
    }

    /// The digest `index.json` gives `tag`.
    static func tagged(_ image: TestImage, _ tag: String) -> String? {
        guard let data = FileManager.default.contents(atPath: image.layout + "/index.json"),
              let index = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let entries = index["manifests"] as? [[String: Any]] else { return nil }
        return entries.first { ($0["annotations"] as? [String: String])?["org.opencontainers.image.ref.name"] == tag }?["digest"] as? String
    }
}
