import Crypto
import Foundation
import SlipwayCore

/// AWS Signature Version 4 (the `AWS4-HMAC-SHA256` header form), as S3-compatible stores
/// check it: a canonical request, the string to sign over its hash, and an HMAC chain that
/// derives a key per day, region and service from the secret.
public struct SigV4: Sendable {
    public struct Request: Sendable {
        public var method: String
        /// The path as sent on the wire (already URI-encoded once, `/bucket/key`).
        public var path: String
        /// Query parameters, not encoded (SigV4 encodes and sorts them).
        public var query: [(name: String, value: String)]
        /// Headers to sign; `host` must be among them.
        public var headers: [(name: String, value: String)]
        /// Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`.
        public var payloadHash: String

        public init(method: String, path: String, query: [(name: String, value: String)] = [],
                    headers: [(name: String, value: String)], payloadHash: String) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.payloadHash = payloadHash
        }
    }

    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    public let accessKey: String
    let secretKey: String
    public let region: String
    public let service: String

    public init(accessKey: String, secretKey: String, region: String, service: String = "s3") {
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.region = region
        self.service = service
    }

    /// The `Authorization` header value for `request` sent at `date` (whose `x-amz-date`
    /// header, `amzDate(date)`, the request must carry).
    public func authorization(_ request: Request, at date: Date) -> String {
        let (canonical, signed) = Self.canonicalRequest(request)
        let stamp = Self.amzDate(date)
        let scope = "\(stamp.prefix(8))/\(region)/\(service)/aws4_request"
        let toSign = ["AWS4-HMAC-SHA256", stamp, scope, Self.hex(SHA256.hash(data: Data(canonical.utf8)))].joined(separator: "\n")
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Data(toSign.utf8), using: signingKey(day: String(stamp.prefix(8)))))
        return "AWS4-HMAC-SHA256 Credential=\(accessKey)/\(scope), SignedHeaders=\(signed), Signature=\(signature)"
    }

    /// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, day), region), service), "aws4_request").
    func signingKey(day: String) -> SymmetricKey {
        var key = SymmetricKey(data: Data(("AWS4" + secretKey).utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return key
    }

    /// The canonical request and the signed-header list: lowercase header names, sorted,
    /// values trimmed with inner runs of spaces folded; query sorted by encoded name and value.
    static func canonicalRequest(_ request: Request) -> (text: String, signedHeaders: String) {
        var headers: [String: String] = [:]
        for (name, value) in request.headers {
            let folded = value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            let key = name.lowercased()
            headers[key] = headers[key].map { $0 + "," + folded } ?? folded
        }
        let names = headers.keys.sorted()
        let encoded: [(String, String)] = request.query.map { (encode($0.name), encode($0.value)) }
        let query = encoded.sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        let signed = names.joined(separator: ";")
        let lines: String = names.map { (name: String) -> String in "\(name):\(headers[name] ?? "")\n" }.joined()
        let path = request.path.isEmpty ? "/" : request.path
        let parts: [String] = [request.method, path, query, lines, signed, request.payloadHash]
        return (parts.joined(separator: "\n"), signed)
    }

    /// RFC 3986 percent-encoding as SigV4 wants it: everything but A–Z a–z 0–9 - _ . ~ is
    /// encoded, `/` too unless `keepSlash` (object keys in a path).
    public static func encode(_ text: String, keepSlash: Bool = false) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where keepSlash:
                out += "/"
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    /// `20150830T123600Z`: the UTC time in the form `x-amz-date` takes.
    public static func amzDate(_ date: Date) -> String {
        var time = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec)
    }

    static func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        Hex.encode(bytes)
    }
}
