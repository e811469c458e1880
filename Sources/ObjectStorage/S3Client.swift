import AsyncHTTPClient
import Foundation
import HTTPTransport
import NIOCore
import NIOHTTP1
import SlipwayCore
import Synchronization

/// Requests to one bucket of an S3-compatible store (AWS S3, MinIO, Ceph RGW, Garage),
/// path-style (`ENDPOINT/BUCKET/KEY`, which every one of them serves), signed with SigV4,
/// retried with backoff on 5xx, 429 and dropped connections.
public final class S3Client: Sendable {
    public struct Options: Sendable {
        /// How long a response may keep the client waiting for its next bytes.
        public var readTimeout: TimeAmount = .seconds(60)
        public var connectTimeout: TimeAmount = .seconds(10)
        public var attempts = 4
        public var retryDelay: Duration = .milliseconds(200)
        /// Files larger than this go up in parts of this size (S3 wants 5 MiB at least).
        public var partSize = 16 << 20
        /// Parts in flight at once.
        public var concurrency = 4

        public init() {}
    }

    public let settings: S3Settings
    public let bucket: String
    public let options: Options
    private let signer: SigV4
    private let http: HTTPClient

    public init(settings: S3Settings, bucket: String, options: Options = Options()) {
        self.settings = settings
        self.bucket = bucket
        self.options = options
        signer = SigV4(accessKey: settings.accessKey, secretKey: settings.secretKey, region: settings.region)
        http = Self.sharedClient(connect: options.connectTimeout, read: options.readTimeout)
    }

    /// One HTTP client (and its connection pool) per pair of timeouts for the whole process,
    /// never shut down: every S3Client and ArtifactBucket can simply go away.
    private static let clients = Mutex<[String: HTTPClient]>([:])

    private static func sharedClient(connect: TimeAmount, read: TimeAmount) -> HTTPClient {
        clients.withLock { clients in
            let key = "\(connect.nanoseconds)/\(read.nanoseconds)"
            if let client = clients[key] { return client }
            var pool = HTTPClient.Configuration.ConnectionPool()
            pool.retryConnectionEstablishment = false
            let configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: connect, read: read),
                                                         connectionPool: pool, decompression: .disabled)
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            clients[key] = client
            return client
        }
    }

    /// `host[:port]` of the endpoint, as messages name it.
    public var endpointName: String { HTTPTransport.authority(settings.endpoint.absoluteString) }

    // MARK: - Objects

    /// The object's size, or nil when there is none under `key`.
    public func size(of key: String) async throws -> Int64? {
        let response = try await send("HEAD", key: key)
        switch response.status.code {
        case 200: return response.headers.first(name: "Content-Length").flatMap(Int64.init) ?? 0
        case 404:
            // A HEAD has no body to say whether the bucket or the object is missing: ask the bucket.
            try await checkBucket()
            return nil
        default: throw await failure(response, "HEAD", key: key)
        }
    }

    /// A small object's bytes (at most `limit`), or nil when there is none.
    public func data(_ key: String, limit: Int = 16 << 20) async throws -> Data? {
        let response = try await send("GET", key: key)
        switch response.status.code {
        case 200: return try await HTTPTransport.collect(response, limit: limit, what: "s3://\(bucket)/\(key)")
        case 404:
            let body = await Self.errorBody(response)
            if S3XML.first("Code", in: body) == "NoSuchKey" { return nil }
            throw failure(response, body: body, "GET", key: key)
        default: throw await failure(response, "GET", key: key)
        }
    }

    /// Writes an object; `headers` go with it (Content-Type, Cache-Control, x-amz-meta-…).
    public func put(_ key: String, data: Data, headers: [(name: String, value: String)] = []) async throws {
        let response = try await send("PUT", key: key, body: data, headers: headers)
        guard response.status.code == 200 else { throw await failure(response, "PUT", key: key) }
        _ = try? await response.body.collect(upTo: 1 << 16)
    }

    public func delete(_ key: String) async throws {
        let response = try await send("DELETE", key: key)
        guard response.status.code == 204 || response.status.code == 200 else { throw await failure(response, "DELETE", key: key) }
        _ = try? await response.body.collect(upTo: 1 << 16)
    }

    /// Fails with a precise message when the bucket is missing or refuses these credentials.
    public func checkBucket() async throws {
        let response = try await send("HEAD", key: nil)
        guard response.status.code == 200 else { throw await failure(response, "HEAD", key: nil) }
    }

    // MARK: - Requests

    /// Sends one signed request, retrying transport failures, 5xx and 429 with backoff;
    /// returns the first other response (the caller judges its status).
    func send(_ method: String, key: String?, query: [(name: String, value: String)] = [], body: Data? = nil,
              headers extra: [(name: String, value: String)] = []) async throws -> HTTPClientResponse {
        // Hashed once: a retry signs the same payload again with a new date.
        let payloadHash = body.map { SHA256Stream.hex(of: $0) } ?? SigV4.emptyPayloadHash
        var attempt = 0
        while true {
            let request = signed(method, key: key, query: query, body: body, payloadHash: payloadHash, headers: extra)
            let response: HTTPClientResponse
            do {
                response = try await http.execute(request, timeout: .seconds(3600))
            } catch {
                if HTTPTransport.isTLS(error) {
                    throw SlipwayError.failed("TLS with S3 endpoint \(endpointName) failed: \(HTTPTransport.reason(error))", cause: error)
                }
                if HTTPTransport.isTransient(error), attempt + 1 < options.attempts {
                    try await backoff(&attempt)
                    continue
                }
                throw SlipwayError.failed("cannot reach S3 endpoint \(endpointName) (\(method) \(what(key))): \(HTTPTransport.reason(error))\(attempt > 0 ? " (tried \(attempt + 1) times)" : "")", cause: error)
            }
            let status = Int(response.status.code)
            if (status == 429 || (500...599).contains(status)) && attempt + 1 < options.attempts {
                _ = try? await response.body.collect(upTo: 1 << 16)
                try await backoff(&attempt)
                continue
            }
            return response
        }
    }

    private func signed(_ method: String, key: String?, query: [(name: String, value: String)], body: Data?,
                        payloadHash: String, headers extra: [(name: String, value: String)]) -> HTTPClientRequest {
        let basePath = settings.endpoint.path.hasSuffix("/") ? String(settings.endpoint.path.dropLast()) : settings.endpoint.path
        let path = basePath + "/" + SigV4.encode(bucket) + (key.map { "/" + SigV4.encode($0, keepSlash: true) } ?? "")
        let queryText = query.map { $0.value.isEmpty ? SigV4.encode($0.name) : SigV4.encode($0.name) + "=" + SigV4.encode($0.value) }
            .joined(separator: "&")
        let url = "\(settings.endpoint.scheme ?? "https")://\(endpointName)\(path)" + (queryText.isEmpty ? "" : "?" + queryText)
        let date = Date()
        var headers: [(name: String, value: String)] = [("host", endpointName), ("x-amz-date", SigV4.amzDate(date)),
                                                        ("x-amz-content-sha256", payloadHash)]
        if let token = settings.sessionToken { headers.append(("x-amz-security-token", token)) }
        headers += extra
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        let authorization = signer.authorization(SigV4.Request(method: method, path: path, query: query, headers: headers,
                                                               payloadHash: payloadHash), at: date)
        for (name, value) in headers where name != "host" { request.headers.add(name: name, value: value) }
        request.headers.add(name: "Authorization", value: authorization)
        request.headers.add(name: "User-Agent", value: "slipway/" + SlipwayVersion.number)
        if let body {
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        return request
    }

    private func backoff(_ attempt: inout Int) async throws {
        let delay = options.retryDelay * (1 << attempt)
        attempt += 1
        try await Task.sleep(for: delay)
    }

    func what(_ key: String?) -> String { "s3://\(bucket)" + (key.map { "/" + $0 } ?? "") }

    /// An error answer's XML body (its body can be read once only).
    static func errorBody(_ response: HTTPClientResponse) async -> Data {
        (try? await response.body.collect(upTo: 1 << 16)).map { Data($0.readableBytesView) } ?? Data()
    }

    /// An error for an unexpected answer that names the endpoint, the bucket and what to do.
    func failure(_ response: HTTPClientResponse, _ method: String, key: String?) async -> SlipwayError {
        failure(response, body: await Self.errorBody(response), method, key: key)
    }

    func failure(_ response: HTTPClientResponse, body: Data, _ method: String, key: String?) -> SlipwayError {
        let status = Int(response.status.code)
        let code = S3XML.first("Code", in: body)
        let message = S3XML.first("Message", in: body)
        let detail = "\(status)\(code.map { " " + $0 } ?? "")\(message.map { ": " + $0 } ?? "")"
        switch (status, code) {
        case (404, let code) where code == "NoSuchBucket" || key == nil:
            return .notFound("bucket '\(bucket)' does not exist at S3 endpoint \(endpointName) (\(detail)); create it or fix the s3:// location")
        case (404, _):
            return .notFound("\(what(key)): no such object at S3 endpoint \(endpointName) (\(detail))")
        case (401, _), (403, _):
            return .failed("S3 endpoint \(endpointName) refused \(method) \(what(key)) (\(detail)) with the credentials from \(settings.source) (access key \(settings.accessKey)); check the key, the secret and the bucket's policy")
        default:
            return .failed("S3 endpoint \(endpointName) answered \(method) \(what(key)) with \(detail)\(status >= 500 ? " (tried \(options.attempts) times)" : "")")
        }
    }
}

/// The few values Slipway reads from S3's XML answers (error codes, upload ids, ETags): the
/// text of an element found by name, entities decoded.
enum S3XML {
    static func first(_ element: String, in data: Data) -> String? {
        all(element, in: data).first
    }

    static func all(_ element: String, in data: Data) -> [String] {
        let text = String(decoding: data, as: UTF8.self)
        var values: [String] = []
        var rest = text[...]
        while let open = rest.range(of: "<\(element)>"), let close = rest[open.upperBound...].range(of: "</\(element)>") {
            values.append(decode(rest[open.upperBound..<close.lowerBound]))
            rest = rest[close.upperBound...]
        }
        return values
    }

    static func decode(_ text: Substring) -> String {
        guard text.contains("&") else { return String(text) }
        return text.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
