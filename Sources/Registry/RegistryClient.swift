import AsyncHTTPClient
import Foundation
import HTTPTransport
import NIOCore
import NIOHTTP1
import NIOSSL
import SlipwayCore
import Synchronization

/// Speaks the OCI Distribution API v2 to one repository: GETs with the registry's auth flow
/// (anonymous or Basic credentials traded for a Bearer token at the challenge's realm, or
/// Basic itself), redirects followed by hand (credentials go only to the registry's own
/// host), and retries with backoff on 5xx, 429 and dropped connections.
final class RegistryClient: Sendable {
    let reference: RegistryReference
    let options: RegistryOptions
    let credential: RegistryCredential?
    private let http: HTTPClient
    private let authorization = Mutex<String?>(nil)
    /// Requests sent, redirects and auth included: what a pull cost.
    let requests = Atomic<Int>(0)

    static let maxRedirects = 5

    init(reference: RegistryReference, options: RegistryOptions) throws {
        self.reference = reference
        self.options = options
        credential = try options.credentials.lookup(reference.registry)
        var tls = TLSConfiguration.makeClientConfiguration()
        if let ca = options.caFile {
            guard FileManager.default.isReadableFile(atPath: ca) else {
                throw SlipwayError.badInput("--ca \(ca): no such readable file; give a PEM file of CA certificates")
            }
            tls.additionalTrustRoots = [.file(ca)]
        }
        // Connection failures come back at once (the pool would otherwise keep retrying until
        // the request's deadline); `get` retries them with its own backoff and says so.
        var pool = HTTPClient.Configuration.ConnectionPool()
        pool.retryConnectionEstablishment = false
        let configuration = HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10), read: .seconds(60)), connectionPool: pool, decompression: .disabled)
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func shutdown() async {
        try? await http.shutdown()
    }

    var registry: String { reference.registry }
    private var scheme: String { options.isInsecure(reference.registry) ? "http" : "https" }
    private var base: String { "\(scheme)://\(reference.apiHost)/v2/\(reference.repository)" }

    // MARK: - Documents and blobs

    /// A manifest or index by tag or digest, at most `limit` bytes: its bytes, media type and digest.
    func manifest(_ tagOrDigest: String, accept: [String], limit: Int) async throws -> (data: Data, mediaType: String?, digest: Digest) {
        let response = try await get("\(base)/manifests/\(tagOrDigest)", accept: accept)
        let what = "\(reference.registry)/\(reference.repository):\(tagOrDigest)".replacingOccurrences(of: ":sha256:", with: "@sha256:")
        switch response.status.code {
        case 200: break
        case 404:
            let code = await Self.errorCode(response)
            if code == "NAME_UNKNOWN" {
                throw SlipwayError.notFound("\(reference): registry \(registry) has no repository '\(reference.repository)' (404 NAME_UNKNOWN)")
            }
            throw SlipwayError.notFound(tagOrDigest.hasPrefix("sha256:")
                ? "\(what): no such manifest in registry \(registry) (404)"
                : "\(reference): registry \(registry) has no tag '\(tagOrDigest)' in \(reference.repository) (404\(code.map { " " + $0 } ?? ""))")
        default:
            throw SlipwayError.failed("\(what): registry \(registry) answered \(response.status.code) \(response.status.reasonPhrase)")
        }
        let data = try await HTTPTransport.collect(response, limit: limit, what: "\(what): the manifest")
        let digest = Digest.of(data)
        let mediaType = response.headers.first(name: "Content-Type").map { $0.split(separator: ";").first.map(String.init) ?? $0 }
        return (data, mediaType, digest)
    }

    /// A small blob (an image config), checked against its digest.
    func smallBlob(_ digest: Digest, limit: Int, what: String) async throws -> Data {
        let response = try await blob(digest, what: what)
        let data = try await HTTPTransport.collect(response, limit: limit, what: what)
        let actual = Digest.of(data)
        guard actual == digest else {
            throw SlipwayError.badInput("\(what): digest mismatch: the manifest says \(digest), the registry sent \(actual); the blob is corrupt or was tampered with")
        }
        return data
    }

    /// The response for a blob whose body the caller streams.
    func blob(_ digest: Digest, what: String) async throws -> HTTPClientResponse {
        let response = try await get("\(base)/blobs/\(digest)", accept: ["*/*"])
        guard response.status.code == 200 else {
            if response.status.code == 404 {
                throw SlipwayError.notFound("\(what): registry \(registry) has no blob \(digest) (404); the image is incomplete in the registry")
            }
            throw SlipwayError.failed("\(what): registry \(registry) answered \(response.status.code) \(response.status.reasonPhrase)")
        }
        return response
    }

    /// Checks that the registry answers and accepts the credentials (what `login` does).
    func ping() async throws {
        let response = try await get("\(scheme)://\(reference.apiHost)/v2/", accept: ["application/json"], scoped: false)
        guard response.status.code == 200 else {
            throw SlipwayError.failed("registry \(registry) answered \(response.status.code) \(response.status.reasonPhrase) to /v2/; is it an OCI registry?")
        }
        _ = try? await response.body.collect(upTo: 1 << 16)
    }

    // MARK: - Requests

    /// GETs `url`: authenticates when challenged, follows redirects, retries what may pass.
    /// Returns the first response that is none of those (the caller judges its status);
    /// 401 and 403 become errors that say how to log in.
    func get(_ start: String, accept: [String], scoped: Bool = true) async throws -> HTTPClientResponse {
        var url = start
        var seen: Set<String> = [url]
        var attempt = 0
        var challenged = false
        let home = HTTPTransport.authority(start)
        while true {
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "User-Agent", value: "slipway/" + SlipwayVersion.number)
            request.headers.add(name: "Accept", value: accept.joined(separator: ", "))
            // Credentials go to the registry's own host only, never to where it redirects.
            if HTTPTransport.authority(url) == home, let value = authorization.withLock({ $0 }) {
                request.headers.add(name: "Authorization", value: value)
            }
            requests.add(1, ordering: .relaxed)
            let response: HTTPClientResponse
            do {
                response = try await http.execute(request, timeout: .seconds(1800))
            } catch {
                if HTTPTransport.isTLS(error) {
                    throw SlipwayError.failed("TLS with registry \(registry) failed: \(error); if its certificate comes from your own CA pass --ca FILE, or if it speaks plain HTTP mark it insecure (--insecure, \(RegistryOptions.insecureVariable))")
                }
                if HTTPTransport.isTransient(error), attempt + 1 < options.attempts {
                    try await backoff(&attempt)
                    continue
                }
                throw SlipwayError.failed("cannot reach registry \(registry) (\(HTTPTransport.authority(url))): \(HTTPTransport.reason(error))\(attempt > 0 ? " (tried \(attempt + 1) times)" : ""); check that it runs and the address is right", cause: error)
            }
            let status = Int(response.status.code)
            switch status {
            case 301, 302, 303, 307, 308:
                guard let location = response.headers.first(name: "Location"), let next = Self.resolve(location, against: url) else {
                    throw SlipwayError.failed("registry \(registry) redirected without a usable Location")
                }
                _ = try? await response.body.collect(upTo: 1 << 16)
                guard seen.insert(next).inserted else {
                    throw SlipwayError.failed("registry \(registry): redirect loop (\(next) again after \(seen.count - 1) redirects)")
                }
                guard seen.count <= Self.maxRedirects + 1 else {
                    throw SlipwayError.failed("registry \(registry): more than \(Self.maxRedirects) redirects (last to \(next))")
                }
                if next.hasPrefix("http://") && !options.isInsecure(HTTPTransport.authority(next)) && !url.hasPrefix("http://") {
                    throw SlipwayError.failed("registry \(registry) redirected from HTTPS to plain HTTP (\(next)); refused")
                }
                url = next
            case 401 where !challenged && HTTPTransport.authority(url) == home:
                challenged = true
                let header = response.headers.first(name: "WWW-Authenticate") ?? ""
                _ = try? await response.body.collect(upTo: 1 << 16)
                try await authenticate(AuthChallenge(header: header), scoped: scoped)
            case 401:
                _ = try? await response.body.collect(upTo: 1 << 16)
                throw unauthorized("401 Unauthorized")
            case 403:
                _ = try? await response.body.collect(upTo: 1 << 16)
                throw SlipwayError.failed("registry \(registry) denies access to \(reference.repository) (403 Forbidden)" + (credential.map { " for user '\($0.username)' (from \($0.source))" } ?? " without credentials") + "; log in as a user who may pull it: slipway image login \(registry) --username USER (the password on stdin)")
            case _ where (status == 429 || (500...599).contains(status)) && attempt + 1 < options.attempts:
                _ = try? await response.body.collect(upTo: 1 << 16)
                try await backoff(&attempt)
            case 429, 500...599:
                throw SlipwayError.failed("registry \(registry) answered \(status) \(response.status.reasonPhrase) (tried \(attempt + 1) times)")
            default:
                return response
            }
        }
    }

    private func backoff(_ attempt: inout Int) async throws {
        let delay = options.retryDelay * (1 << attempt)
        attempt += 1
        try await Task.sleep(for: delay)
    }

    func unauthorized(_ what: String) -> SlipwayError {
        let login = "log in with: slipway image login \(registry) --username USER (the password on stdin), or set \(RegistryCredentials.variable(for: registry))=USER:PASSWORD"
        if let credential {
            return .failed("registry \(registry) refused the credentials of user '\(credential.username)' (from \(credential.source)) for \(reference.repository) (\(what)); \(login)")
        }
        return .failed("registry \(registry) needs credentials for \(reference.repository) (\(what)); \(login)")
    }

    /// Answers a challenge: Bearer trades the credentials (or none) for a token at the realm;
    /// Basic sends them as they are.
    private func authenticate(_ challenge: AuthChallenge?, scoped: Bool) async throws {
        guard let challenge else { throw unauthorized("401 without a WWW-Authenticate challenge") }
        switch challenge.scheme {
        case "basic":
            guard let credential else { throw unauthorized("401, Basic") }
            authorization.withLock { $0 = credential.basicAuthorization }
        case "bearer":
            guard let realm = challenge.parameters["realm"], var components = URLComponents(string: realm),
                  let realmScheme = components.scheme, ["https", "http"].contains(realmScheme) else {
                throw SlipwayError.failed("registry \(registry) sent a Bearer challenge without a usable realm")
            }
            if realmScheme == "http" && !options.isInsecure(reference.registry) {
                throw SlipwayError.failed("registry \(registry) sends credentials to a plain-HTTP token service (\(realm)); refused")
            }
            var query = components.queryItems ?? []
            if let service = challenge.parameters["service"] { query.append(URLQueryItem(name: "service", value: service)) }
            if let scope = challenge.parameters["scope"] ?? (scoped ? "repository:\(reference.repository):pull" : nil) {
                query.append(URLQueryItem(name: "scope", value: scope))
            }
            components.queryItems = query
            guard let tokenURL = components.string else { throw SlipwayError.failed("registry \(registry): bad token realm \(realm)") }
            var request = HTTPClientRequest(url: tokenURL)
            request.headers.add(name: "User-Agent", value: "slipway/" + SlipwayVersion.number)
            if let credential { request.headers.add(name: "Authorization", value: credential.basicAuthorization) }
            requests.add(1, ordering: .relaxed)
            let response: HTTPClientResponse
            do {
                response = try await http.execute(request, timeout: .seconds(60))
            } catch {
                throw SlipwayError.failed("cannot reach the token service of registry \(registry) (\(HTTPTransport.authority(tokenURL))): \(HTTPTransport.reason(error))", cause: error)
            }
            let body = try await HTTPTransport.collect(response, limit: 1 << 20, what: "the token service's answer")
            guard response.status.code == 200 else {
                throw unauthorized("the token service answered \(response.status.code)")
            }
            struct Token: Decodable { var token: String?; var access_token: String? }
            guard let decoded = try? JSONDecoder().decode(Token.self, from: body), let token = decoded.token ?? decoded.access_token, !token.isEmpty else {
                throw SlipwayError.failed("registry \(registry): the token service's answer holds no token")
            }
            authorization.withLock { $0 = "Bearer " + token }
        default:
            throw unauthorized("401, \(challenge.scheme) authentication, which Slipway does not speak")
        }
    }

    // MARK: - Helpers

    /// The `code` of the first error in a registry's JSON error body.
    static func errorCode(_ response: HTTPClientResponse) async -> String? {
        struct Errors: Decodable { struct Entry: Decodable { var code: String }; var errors: [Entry] }
        guard let body = try? await response.body.collect(upTo: 1 << 16) else { return nil }
        return (try? JSONDecoder().decode(Errors.self, from: Data(body.readableBytesView)))?.errors.first?.code
    }

    static func resolve(_ location: String, against url: String) -> String? {
        guard let base = URL(string: url), let next = URL(string: location, relativeTo: base)?.absoluteURL,
              let scheme = next.scheme, ["http", "https"].contains(scheme) else { return nil }
        return next.absoluteString
    }
}
