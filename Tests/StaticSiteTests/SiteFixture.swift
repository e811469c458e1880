import Artifacts
import Foundation
@testable import ObjectStorage
import SlipwayCore
import SlipwayTestSupport
@testable import StaticSite

/// A prefix of its own in moto's shared bucket (website hosting enabled on it) and sites in
/// versions: every page names its version and its hashed assets (`assets/app.v<N>c0ffee.js`,
/// `assets/style.v<N>c0ffee.css`), which hold the same version, so a reader can tell whether
/// what it got mixes versions.
struct SiteFixture: Sendable {
    let moto: MotoServer
    let directory: TemporaryDirectory
    let store: ArtifactStore
    let prefix = "site-\(UUID().uuidString.prefix(8).lowercased())"

    private init(_ label: String) throws {
        moto = try MotoServer.shared()
        directory = try TemporaryDirectory(label)
        store = ArtifactStore(home: directory.home)
    }

    static func make(_ label: String) async throws -> SiteFixture {
        let fixture = try await offPool { try SiteFixture(label) }
        try await fixture.enableWebsite()
        return fixture
    }

    var location: String { "s3://\(MotoServer.bucket)/\(prefix)" }
    var settings: S3Settings { get throws { try S3Settings.fromEnvironment(moto.environment) } }
    var client: S3Client { get throws { S3Client(settings: try settings, bucket: MotoServer.bucket) } }
    func target() throws -> SiteTarget { try SiteTarget.parse(location, environment: moto.environment)! }

    /// Website hosting on the test bucket (moto keeps the configuration; it serves no website
    /// endpoint, so the tests read pages as the website endpoint would: GET by key).
    func enableWebsite() async throws {
        let body = Data("<WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix></IndexDocument><ErrorDocument><Key>404.html</Key></ErrorDocument></WebsiteConfiguration>".utf8)
        let response = try await client.send("PUT", key: nil, query: [("website", "")], body: body)
        _ = try? await response.body.collect(upTo: 1 << 16)
        guard response.status.code == 200 else { throw TestFailure("moto refused PutBucketWebsite: \(response.status)") }
    }

    static func assetName(_ kind: String, _ version: Int) -> String { "assets/\(kind).v\(version)c0ffee.\(kind == "app" ? "js" : "css")" }

    /// Writes version `version` of the site into a directory (`pages` pages besides index.html).
    func siteTree(_ version: Int, pages: Int = 3, extra: [String: String] = [:]) throws -> String {
        let root = directory.path + "/v\(version)-\(UUID().uuidString.prefix(6))"
        var files: [String: String] = [
            Self.assetName("app", version): "version \(version)\n",
            Self.assetName("style", version): "version \(version)\n",
            "robots.txt": "User-agent: *\n",
            "404.html": "<p>not here</p>\n",
        ]
        let page = "<html data-version=\"\(version)\"><link href=\"/\(Self.assetName("style", version))\"><script src=\"/\(Self.assetName("app", version))\"></script></html>\n"
        files["index.html"] = page
        for n in 0..<pages { files[String(format: "p/%03d.html", n)] = page }
        files.merge(extra) { $1 }
        for (path, text) in files {
            let full = root + "/" + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: full))
        }
        return root
    }

    func site(_ version: Int, pages: Int = 3, extra: [String: String] = [:]) throws -> ArtifactRecord {
        try store.pack(directory: try siteTree(version, pages: pages, extra: extra))
    }

    func text(_ path: String) async throws -> String? {
        try await client.data(prefix + "/" + path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// What a visitor finds at `page`: nil when it is consistent (or absent), else what is wrong.
    func mixing(at page: String) async throws -> String? {
        guard let html = try await text(page) else { return nil }
        guard let start = html.range(of: "data-version=\""), let end = html[start.upperBound...].firstIndex(of: "\"") else {
            return "\(page): no version in \(html)"
        }
        let version = String(html[start.upperBound..<end])
        for kind in ["app", "style"] {
            guard let nameStart = html.range(of: "/assets/\(kind).") else { return "\(page): no \(kind) asset named" }
            let name = html[html.index(after: nameStart.lowerBound)...].prefix { $0 != "\"" }
            guard let asset = try await text(String(name)) else { return "\(page) (version \(version)) names \(name), which is missing" }
            if asset != "version \(version)\n" { return "\(page) (version \(version)) got \(name) holding \(asset)" }
        }
        return nil
    }

    /// Every object under the prefix but Slipway's own records.
    func siteKeys() async throws -> [String] {
        // moto checks the signature of a listing whose prefix has a '/' against its decoded
        // form (AWS against the encoded one): list by the bare prefix, keep what is below it.
        try await client.keys(under: prefix).filter { $0.hasPrefix(prefix + "/") }.map { String($0.dropFirst(prefix.count + 1)) }
            .filter { !$0.hasPrefix(".slipway/") }.sorted()
    }

    /// The headers an object is served with.
    func headers(_ path: String) async throws -> [String: String] {
        let response = try await client.send("HEAD", key: prefix + "/" + path)
        var headers: [String: String] = [:]
        for header in response.headers { headers[header.name.lowercased()] = header.value }
        return headers
    }
}
