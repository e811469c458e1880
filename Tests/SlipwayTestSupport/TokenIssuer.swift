import Crypto
import Foundation

/// The token service a registry with `auth: token` sends clients to: it answers
/// `GET /token?service=…&scope=repository:NAME:pull,push` with a JWT signed (ES256) by a key
/// whose certificate the registry trusts (`rootcertbundle`), carrying the certificate in
/// `x5c` as Docker's token servers do. Anonymous callers may pull anything outside
/// `private/`; `reader` (password `readerPassword`) may pull everything; `pusher` may also push.
public final class TokenIssuer: Sendable {
    public static let issuer = "slipway-test-issuer"
    public static let service = "slipway-test-registry"
    public static let readerPassword = "token-reader-secret"
    public static let pusherPassword = "token-pusher-secret"

    public let server: TinyHTTPServer
    /// The PEM certificate for the registry's `rootcertbundle`.
    public let certificateFile: String

    public var realm: String { "http://\(server.address)/token" }

    public init(directory: String) throws {
        let key = directory + "/token.key", cert = directory + "/token.crt"
        try Program.output("/usr/bin/openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key])
        try Program.output("/usr/bin/openssl", ["req", "-new", "-x509", "-key", key, "-out", cert, "-days", "3",
                                                "-subj", "/CN=slipway test token issuer"])
        certificateFile = cert
        // The key as data: the closure runs on server threads, and the key type is not Sendable.
        let keyData = try P256.Signing.PrivateKey(pemRepresentation: try String(contentsOfFile: key, encoding: .utf8)).rawRepresentation
        let pem = try String(contentsOfFile: cert, encoding: .utf8)
        let der = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        server = try TinyHTTPServer { request in
            guard request.path == "/token" else { return TinyHTTPServer.response(404) }
            var user: String?
            if let auth = request.headers["authorization"], auth.hasPrefix("Basic "),
               let decoded = Data(base64Encoded: String(auth.dropFirst(6))).map({ String(decoding: $0, as: UTF8.self) }) {
                switch decoded {
                case "reader:" + Self.readerPassword: user = "reader"
                case "pusher:" + Self.pusherPassword: user = "pusher"
                default: return TinyHTTPServer.json(401, ["errors": [["code": "UNAUTHORIZED", "message": "bad credentials"]]])
                }
            }
            var access: [[String: Any]] = []
            for scope in (request.query("scope") ?? "").split(separator: " ") {
                let parts = scope.split(separator: ":")
                guard parts.count == 3, parts[0] == "repository" else { continue }
                let name = String(parts[1])
                let asked = parts[2].split(separator: ",").map(String.init)
                let allowed: [String] = switch user ?? "" {
                case "pusher": asked
                case "reader": asked.filter { $0 == "pull" }
                default: name.hasPrefix("private/") ? [] : asked.filter { $0 == "pull" }
                }
                access.append(["type": "repository", "name": name, "actions": allowed])
            }
            let now = Int(Date().timeIntervalSince1970)
            let header: [String: Any] = ["typ": "JWT", "alg": "ES256", "x5c": [der]]
            let claims: [String: Any] = ["iss": Self.issuer, "sub": user ?? "", "aud": request.query("service") ?? Self.service,
                                         "exp": now + 600, "nbf": now - 60, "iat": now, "jti": UUID().uuidString, "access": access]
            let signed = Self.segment(header) + "." + Self.segment(claims)
            guard let signingKey = try? P256.Signing.PrivateKey(rawRepresentation: keyData),
                  let signature = try? signingKey.signature(for: Data(signed.utf8)) else { return TinyHTTPServer.response(500) }
            let token = signed + "." + Self.base64URL(signature.rawRepresentation)
            return TinyHTTPServer.json(200, ["token": token, "access_token": token, "expires_in": 600])
        }
    }

    private static func segment(_ object: [String: Any]) -> String {
        base64URL((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data())
    }

    private static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
