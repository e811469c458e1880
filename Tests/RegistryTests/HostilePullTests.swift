import Foundation
import Images
import Registry
import SlipwayCore
import SlipwayTestSupport
import Testing

/// Faults a real registry cannot be made to show, from a small hostile server: each is a
/// clear error and leaves the store as it was (no image, no tag, no layer, no staging debris).
@Suite("Pulling from a hostile registry", .tags(.medium), .serialized)
struct HostilePullTests {
    let scratch: ScratchHome
    let registry: HostileRegistry
    let good: String

    init() throws {
        scratch = try ScratchHome("slipway-hostile")
        let image = try TestImage(layout: scratch.path + "/layout")
        let layers = [
            try TestImage.layer([("bin/tool", "tool"), ("etc/motd", "hi")], scratch: scratch.path),
            try TestImage.layer([("etc/.wh.motd", ""), ("srv/data", String((0..<200_000).map { _ in "0123456789abcdef".randomElement()! }))],
                                scratch: scratch.path),
        ]
        let (manifest, config) = try image.manifest(layers)
        try image.tag(manifest, "latest")
        good = config

        // ../ in a member name: GNU tar keeps it only with -P.
        let evil = try scratch.directory("evil")
        try Data("x".utf8).write(to: URL(fileURLWithPath: evil + "/escape"))
        let tar = scratch.path + "/evil.tar"
        try Program.output("/bin/tar", ["-P", "--transform", "s,^escape,../../escaped-\(getpid()),", "-cf", tar, "-C", evil, "escape"])
        try Program.output("/bin/gzip", ["-n", tar])
        let hostileLayer = try TestImage.layer(tarFile: tar + ".gz", compression: .none)
        var gz = hostileLayer
        gz.mediaType = "application/vnd.oci.image.layer.v1.tar+gzip"
        let hostile = try image.manifest([gz], diffIDs: [try Self.gunzipDigest(gz.data, scratch: scratch.path)])
        try image.tag(hostile.descriptor, "hostile")

        let windows = try image.manifest(layers, os: "windows")
        try image.tag(try image.index([windows.descriptor]), "windows")
        registry = try HostileRegistry(image: image)
    }

    static func gunzipDigest(_ data: Data, scratch: String) throws -> String {
        let file = scratch + "/digest-\(UUID().uuidString).gz"
        try data.write(to: URL(fileURLWithPath: file))
        try Program.output("/bin/gzip", ["-d", file])
        defer { unlink(String(file.dropLast(3))) }
        return "sha256:" + (try SHA256Stream.hex(ofFile: String(file.dropLast(3))))
    }

    func pull(_ reference: String, environment: [String: String] = [:]) async throws -> PullResult {
        var options = RegistryOptions(home: scratch.home, environment: environment)
        options.insecure = [registry.address]
        options.retryDelay = .milliseconds(10)
        return try await ImagePuller(store: scratch.store, options: options).pull(reference)
    }

    /// Pulls, expects an error, and checks that the store is untouched.
    func refused(_ fault: String, tag: String = "latest", environment: [String: String] = [:]) async throws -> SlipwayError {
        let error = await #expect(throws: SlipwayError.self) { try await pull("\(registry.address)/\(fault)/app:\(tag)", environment: environment) }
        let found = try #require(error)
        #expect(try scratch.store.list().isEmpty, "no image or tag after: \(found)")
        #expect(scratch.store.storedLayers().isEmpty, "no layer kept after: \(found)")
        let debris = (try? FileManager.default.contentsOfDirectory(atPath: scratch.home.images + "/tmp")) ?? []
        #expect(debris.isEmpty, "staging left behind: \(debris)")
        return found
    }

    @Test("the well-behaved image pulls (the fixture itself is sound)")
    func good() async throws {
        let result = try await pull("\(registry.address)/good/app:latest")
        #expect(result.image.digest.description == good)
        #expect(!FileManager.default.fileExists(atPath: result.image.rootfs + "/etc/motd"))
        #expect(FileManager.default.fileExists(atPath: result.image.rootfs + "/bin/tool"))
    }

    @Test("a 503 is retried with backoff")
    func flaky() async throws {
        let result = try await pull("\(registry.address)/flaky/app:latest")
        #expect(result.image.digest.description == good)
        #expect(result.requests > 4)
    }

    @Test("a layer whose bytes do not match its digest is refused; nothing is stored")
    func corrupt() async throws {
        let error = try await refused("corrupt")
        #expect(error.kind == .badInput)
        #expect(error.description.contains("layer") && (error.description.contains("digest mismatch") || error.description.contains("damaged")))
    }

    @Test("a download cut short is retried, then reported")
    func truncated() async throws {
        let error = try await refused("truncated")
        #expect(error.description.contains("tried 4 times"))
        #expect(error.description.contains("layer 1 of 2") || error.description.contains("layer 2 of 2"))
    }

    @Test("an interrupted pull keeps the layers it finished; the next pull fetches only the rest")
    func interruptedKeepsLayers() async throws {
        let error = await #expect(throws: SlipwayError.self) { try await pull("\(registry.address)/halfbroken/app:latest") }
        #expect(error?.description.contains("layer 2 of 2") == true)
        #expect(try scratch.store.list().isEmpty)
        #expect(scratch.store.storedLayers().count == 1)
        let result = try await pull("\(registry.address)/good/app:latest")
        #expect(result.downloadedLayers == 1 && result.presentLayers == 1)
        #expect(result.image.digest.description == good)
    }

    @Test("a Content-Length that is not the manifest's size is refused before reading")
    func lyingContentLength() async throws {
        let error = try await refused("liar")
        #expect(error.description.contains("Content-Length is") && error.description.contains("the manifest says"))
    }

    @Test("a manifest over 4 MiB is refused")
    func hugeManifest() async throws {
        let error = try await refused("huge")
        #expect(error.description.contains("over the limit of 4 MiB"))
    }

    @Test("a 403 names the registry and how to log in")
    func forbidden() async throws {
        let error = try await refused("forbidden")
        #expect(error.description.contains("registry \(registry.address) denies access to forbidden/app (403 Forbidden)"))
        #expect(error.description.contains("slipway image login \(registry.address)"))
    }

    @Test("a redirect loop is named")
    func redirectLoop() async throws {
        let error = try await refused("loop")
        #expect(error.description.contains("redirect loop"))
    }

    @Test("a layer with ../ in a name is refused by the import rules; nothing escapes")
    func hostileLayer() async throws {
        let error = try await refused("good", tag: "hostile")
        #expect(error.kind == .badInput)
        #expect(!FileManager.default.fileExists(atPath: (scratch.home.images as NSString).deletingLastPathComponent + "/escaped-\(getpid())"))
        #expect(!FileManager.default.fileExists(atPath: scratch.home.images + "/escaped-\(getpid())"))
    }

    @Test("a Windows image is refused by name")
    func windows() async throws {
        let error = try await refused("good", tag: "windows")
        #expect(error.description.contains("is a Windows image (windows/amd64); Slipway builds run Linux images"))
    }

    @Test("an unknown tag is a not-found error")
    func unknownTag() async throws {
        let error = try await refused("good", tag: "nope")
        #expect(error.kind == .notFound && error.description.contains("has no tag 'nope'"))
    }

    @Test("blobs redirected to another host are fetched without the registry's credentials")
    func redirectDropsCredentials() async throws {
        let variable = RegistryCredentials.variable(for: registry.address)
        let denied = try await refused("redirect")
        #expect(denied.description.contains("needs credentials"))
        let result = try await pull("\(registry.address)/redirect/app:latest", environment: [variable: HostileRegistry.credentials])
        #expect(result.image.digest.description == good)
        let cdn = registry.cdn.requests
        #expect(!cdn.isEmpty)
        #expect(cdn.allSatisfy { $0.headers["authorization"] == nil })
        #expect(registry.server.requests.contains { $0.headers["authorization"] != nil })
    }
}
