import Foundation
import Images
import Registry
import SlipwayCore
import SlipwayTestSupport
import Testing

/// Pulls from real registries (Debian's docker-registry) that skopeo pushed test layouts to.
@Suite("Pulling from registries", .tags(.large), .enabled(if: RegistryServers.available), .serialized)
struct PullTests {
    let scratch: TemporaryDirectory
    let registries: RegistryServers

    init() throws {
        scratch = try TemporaryDirectory("slipway-pull")
        registries = try RegistryServers.shared()
    }

    func puller(environment: [String: String] = [:], insecure: [String] = [], ca: String? = nil,
                platform: String? = nil, home: SlipwayHome? = nil) throws -> ImagePuller {
        let home = home ?? scratch.home
        var options = RegistryOptions(home: home, environment: ["HOME": scratch.path] .merging(environment) { $1 })
        options.insecure = Set(insecure)
        options.caFile = ca
        options.retryDelay = .milliseconds(20)
        if let platform { options.platform = try RegistryPlatform(parsing: platform) }
        return ImagePuller(store: ImageStore(home: home), options: options)
    }

    /// Three gzip layers: a base, one with whiteouts (a file, and an opaque directory), one on top.
    func whiteoutImage(_ name: String) throws -> (layout: TestImage, config: String) {
        let image = try TestImage(layout: scratch.path + "/layout-" + name)
        let layers = [
            try TestImage.layer([("etc/os-release", "ID=test\n"), ("a/keep", "keep"), ("a/gone", "gone"), ("dir/old", "old"),
                                 ("lib", "->usr/lib"), ("usr/lib/libbase.so", "base")], scratch: scratch.path),
            try TestImage.layer([("a/.wh.gone", ""), ("dir/.wh..wh..opq", ""), ("dir/new", "new"),
                                 ("usr/lib/libextra.so", "extra")], scratch: scratch.path),
            try TestImage.layer([("app/\(name)", name)], compression: .none, scratch: scratch.path),
        ]
        let (manifest, config) = try image.manifest(layers)
        try image.tag(manifest, "latest")
        return (image, config)
    }

    @Test("a multi-layer image with whiteouts from a plain-HTTP registry; the second pull costs one request")
    func plainRegistryWhiteouts() async throws {
        let (image, config) = try whiteoutImage("one")
        try registries.push(layout: image.layout, to: "\(registries.plain)/team/app:1")
        let puller = try puller(insecure: [registries.plain])
        let result = try await puller.pull("\(registries.plain)/team/app:1")
        #expect(result.image.digest.description == config)
        #expect(!result.upToDate && result.downloadedLayers == 3 && result.presentLayers == 0)
        let tree = try snapshot(result.image.rootfs)
        #expect(tree["a/keep"] == "file:keep")
        #expect(tree["a/gone"] == nil && tree["a/.wh.gone"] == nil, "a whiteout removes the lower layer's file")
        #expect(tree["dir/old"] == nil && tree["dir/new"] == "file:new", "an opaque directory hides what was below")
        #expect(tree["lib"] == "link:usr/lib" && tree["usr/lib/libextra.so"] == "file:extra")
        #expect(tree["app/one"] == "file:one")
        #expect(result.image.origin?.reference == "\(registries.plain)/team/app:1")
        #expect(result.image.format == "registry" && result.image.layers.count == 3)
        let listed = try ImageStore(home: scratch.home).list()
        #expect(listed.map(\.reference) == ["\(registries.plain)/team/app:1"])

        let again = try await puller.pull("\(registries.plain)/team/app:1")
        #expect(again.upToDate && again.requests == 1 && again.image.digest == result.image.digest)
    }

    @Test("layers the store has are not downloaded again; a moved tag pulls only what changed")
    func sharedLayers() async throws {
        let (first, _) = try whiteoutImage("first")
        let (second, secondConfig) = try whiteoutImage("second")
        try registries.push(layout: first.layout, to: "\(registries.plain)/team/shared:v1")
        let puller = try puller(insecure: [registries.plain])
        let one = try await puller.pull("\(registries.plain)/team/shared:v1")
        #expect(one.downloadedLayers == 3)
        try registries.push(layout: second.layout, to: "\(registries.plain)/team/shared:v1")
        let two = try await puller.pull("\(registries.plain)/team/shared:v1")
        #expect(!two.upToDate && two.downloadedLayers == 1 && two.presentLayers == 2)
        #expect(two.image.digest.description == secondConfig)
        #expect(FileManager.default.fileExists(atPath: two.image.rootfs + "/app/second"))
        let store = ImageStore(home: scratch.home)
        #expect(try store.resolve("\(registries.plain)/team/shared:v1").digest.description == secondConfig)
        // The first image lost its tag and went; removing the second frees every layer.
        #expect(!store.hasImage(one.image.digest))
        #expect(store.storedLayers().count == 3)
        try store.remove("\(registries.plain)/team/shared:v1")
        #expect(store.storedLayers().isEmpty)
    }

    @Test("an index picks this machine's platform (zstd layers); --platform picks another; by digest too")
    func platforms() async throws {
        let image = try TestImage(layout: scratch.path + "/multi")
        let amd64 = try image.manifest([try TestImage.layer([("etc/arch", "amd64")], compression: .zstd, scratch: scratch.path)])
        let arm64 = try image.manifest([try TestImage.layer([("etc/arch", "arm64")], scratch: scratch.path)], architecture: "arm64")
        let index = try image.index([amd64.descriptor, arm64.descriptor])
        try image.tag(index, "latest")
        try registries.push(layout: image.layout, to: "\(registries.plain)/team/multi:1")
        let host = try await puller(insecure: [registries.plain]).pull("\(registries.plain)/team/multi:1")
        #expect(try String(contentsOfFile: host.image.rootfs + "/etc/arch", encoding: .utf8) == "amd64")
        #expect(host.image.origin?.manifestDigest.description == index.digest)
        #expect(host.image.origin?.platformManifest.description == amd64.descriptor.digest)

        let other = scratch.path + "/other"
        let arm = try await puller(insecure: [registries.plain], platform: "linux/arm64", home: SlipwayHome(path: other))
            .pull("\(registries.plain)/team/multi:1")
        #expect(try String(contentsOfFile: arm.image.rootfs + "/etc/arch", encoding: .utf8) == "arm64")

        let pinned = "\(registries.plain)/team/multi@\(index.digest)"
        let byDigest = try await puller(insecure: [registries.plain], home: SlipwayHome(path: scratch.path + "/pinned")).pull(pinned)
        #expect(byDigest.image.digest == host.image.digest)
        let store = ImageStore(home: SlipwayHome(path: scratch.path + "/pinned"))
        #expect(try store.resolve(pinned).digest == host.image.digest)
        #expect(try store.list().map(\.reference) == [pinned])
    }

    @Test("an index with only other platforms names them")
    func onlyOtherPlatforms() async throws {
        let image = try TestImage(layout: scratch.path + "/foreign")
        let arm64 = try image.manifest([try TestImage.layer([("x", "a")], scratch: scratch.path)], architecture: "arm64")
        let s390x = try image.manifest([try TestImage.layer([("x", "s")], scratch: scratch.path)], architecture: "s390x")
        try image.tag(try image.index([arm64.descriptor, s390x.descriptor]), "latest")
        try registries.push(layout: image.layout, to: "\(registries.plain)/team/foreign:1")
        let error = await #expect(throws: SlipwayError.self) {
            try await puller(insecure: [registries.plain]).pull("\(registries.plain)/team/foreign:1")
        }
        #expect(error?.description == "\(registries.plain)/team/foreign:1 has linux/arm64, linux/s390x; no linux/amd64")
        #expect(error?.exitCode == 2)
        #expect(try ImageStore(home: scratch.home).list().isEmpty)
    }

    @Test("TLS from a test CA with Basic auth: the CA, the credentials and the login are each needed")
    func tlsAndBasicAuth() async throws {
        let (image, config) = try whiteoutImage("tls")
        try registries.push(layout: image.layout, to: "\(registries.tls)/team/secure:1")
        let reference = "\(registries.tls)/team/secure:1"

        let untrusted = await #expect(throws: SlipwayError.self) { try await puller().pull(reference) }
        #expect(untrusted?.description.contains("TLS with registry \(registries.tls) failed") == true)
        #expect(untrusted?.description.contains("--ca FILE") == true)

        let anonymous = await #expect(throws: SlipwayError.self) { try await puller(ca: registries.caFile).pull(reference) }
        #expect(anonymous?.description.contains("registry \(registries.tls) needs credentials for team/secure") == true)
        #expect(anonymous?.description.contains("slipway image login \(registries.tls)") == true)

        let variable = RegistryCredentials.variable(for: registries.tls)
        let wrong = await #expect(throws: SlipwayError.self) {
            try await puller(environment: [variable: "slipway:wrong"], ca: registries.caFile).pull(reference)
        }
        #expect(wrong?.description.contains("refused the credentials of user 'slipway' (from \(variable))") == true)

        let loginFailed = await #expect(throws: SlipwayError.self) {
            try await puller(ca: registries.caFile).login(registry: registries.tls, username: RegistryServers.user, password: "nope")
        }
        #expect(loginFailed != nil)
        #expect(!FileManager.default.fileExists(atPath: scratch.home.path + "/registries/auth.json"))

        try await puller(ca: registries.caFile).login(registry: registries.tls, username: RegistryServers.user, password: RegistryServers.password)
        var st = stat()
        #expect(stat(scratch.home.path + "/registries/auth.json", &st) == 0 && st.st_mode & 0o777 == 0o600)
        let pulled = try await puller(ca: registries.caFile).pull(reference)
        #expect(pulled.image.digest.description == config)
    }

    @Test("Docker's config.json credentials are used")
    func dockerConfig() async throws {
        let (image, _) = try whiteoutImage("docker")
        try registries.push(layout: image.layout, to: "\(registries.tls)/team/docker:1")
        let auth = Data("\(RegistryServers.user):\(RegistryServers.password)".utf8).base64EncodedString()
        try makeDirectories(scratch.path + "/docker")
        try Data(#"{"auths": {"https://\#(registries.tls)/v1/": {"auth": "\#(auth)"}}}"#.utf8)
            .write(to: URL(fileURLWithPath: scratch.path + "/docker/config.json"))
        let pulled = try await puller(environment: ["DOCKER_CONFIG": scratch.path + "/docker"], ca: registries.caFile)
            .pull("\(registries.tls)/team/docker:1")
        #expect(pulled.downloadedLayers == 3)
    }

    @Test("the Bearer token flow against auth: token, anonymous and with credentials")
    func tokenAuth() async throws {
        let (image, _) = try whiteoutImage("token")
        try registries.push(layout: image.layout, to: "\(registries.token)/public/app:1")
        try registries.push(layout: image.layout, to: "\(registries.token)/private/app:1")
        let anonymous = try await puller(insecure: [registries.token]).pull("\(registries.token)/public/app:1")
        #expect(anonymous.downloadedLayers == 3)
        #expect(registries.issuer.server.requests.contains { $0.query("scope") == "repository:public/app:pull" })

        let refused = await #expect(throws: SlipwayError.self) {
            try await puller(insecure: [registries.token], home: SlipwayHome(path: scratch.path + "/p")).pull("\(registries.token)/private/app:1")
        }
        #expect(refused?.description.contains("needs credentials for private/app") == true)

        let variable = RegistryCredentials.variable(for: registries.token)
        let reader = try await puller(environment: [variable: "reader:" + TokenIssuer.readerPassword], insecure: [registries.token],
                                      home: SlipwayHome(path: scratch.path + "/r")).pull("\(registries.token)/private/app:1")
        #expect(reader.image.digest == anonymous.image.digest)
    }

    @Test("an unknown tag and a registry that is down are clear errors; plain HTTP only when marked insecure")
    func unknownTagAndDown() async throws {
        let (image, _) = try whiteoutImage("tags")
        try registries.push(layout: image.layout, to: "\(registries.plain)/team/tags:1")
        let missing = await #expect(throws: SlipwayError.self) {
            try await puller(insecure: [registries.plain]).pull("\(registries.plain)/team/tags:2")
        }
        #expect(missing?.kind == .notFound)
        #expect(missing?.description.contains("has no tag '2' in team/tags") == true)

        let https = await #expect(throws: SlipwayError.self) { try await puller().pull("\(registries.plain)/team/tags:1") }
        #expect(https?.description.contains("TLS with registry") == true, "an unmarked registry is spoken to over HTTPS only")

        let down = await #expect(throws: SlipwayError.self) { try await puller(insecure: ["127.0.0.1:9"]).pull("127.0.0.1:9/team/tags:1") }
        #expect(down?.description.contains("cannot reach registry 127.0.0.1:9") == true)
        #expect(down?.description.contains("connection refused") == true)
        #expect(try ImageStore(home: scratch.home).list().isEmpty)
    }
}
