import Foundation
@testable import Registry
import SlipwayCore
import SlipwayTestSupport
import Testing

@Suite("Registry references, challenges and credentials", .tags(.small))
struct ReferenceTests {
    @Test("references parse as Docker spells them")
    func references() throws {
        let debian = try RegistryReference(parsing: "debian:12")
        #expect(debian.registry == "docker.io" && debian.repository == "library/debian" && debian.tag == "12")
        #expect(debian.apiHost == "registry-1.docker.io" && debian.localTag?.description == "debian:12")
        #expect(debian.description == "docker.io/library/debian:12")
        let team = try RegistryReference(parsing: "host:5000/team/node:20")
        #expect(team.registry == "host:5000" && team.repository == "team/node" && team.tag == "20")
        #expect(team.localTag?.description == "host:5000/team/node:20")
        let latest = try RegistryReference(parsing: "ghcr.io/org/tool")
        #expect(latest.tag == "latest" && latest.registry == "ghcr.io")
        let user = try RegistryReference(parsing: "docker.io/someone/app:1")
        #expect(user.repository == "someone/app" && user.localTag?.description == "someone/app:1")
        let hex = String(repeating: "ab", count: 32)
        let pinned = try RegistryReference(parsing: "localhost/app@sha256:" + hex)
        #expect(pinned.registry == "localhost" && pinned.tag == nil && pinned.digest?.hex == hex && pinned.localTag == nil)
        #expect(pinned.manifestReference == "sha256:" + hex)
        #expect(throws: SlipwayError.self) { try RegistryReference(parsing: "app@sha256:nothex") }
        #expect(throws: SlipwayError.self) { try RegistryReference(parsing: "Upper/Case:1") }
    }

    @Test("only references with a host, a tag or a digest go to a registry on first use")
    func namesRegistry() {
        #expect(RegistryReference.namesRegistry("debian:12"))
        #expect(RegistryReference.namesRegistry("127.0.0.1:5000/team/node"))
        #expect(RegistryReference.namesRegistry("app@sha256:" + String(repeating: "0", count: 64)))
        #expect(!RegistryReference.namesRegistry("busybox"))
        #expect(!RegistryReference.namesRegistry("tools/debian"))
    }

    @Test("WWW-Authenticate challenges are read with quoted commas")
    func challenges() {
        let bearer = AuthChallenge(header: #"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#)
        #expect(bearer?.scheme == "bearer")
        #expect(bearer?.parameters["realm"] == "https://auth.example/token")
        #expect(bearer?.parameters["scope"] == "repository:a/b:pull,push")
        #expect(AuthChallenge(header: #"Basic realm="x""#)?.scheme == "basic")
        #expect(AuthChallenge(header: "") == nil)
    }

    @Test("platforms parse and match variants")
    func platforms() throws {
        let arm = try RegistryPlatform(parsing: "linux/arm64/v8")
        #expect(arm.accepts(os: "linux", architecture: "arm64", variant: nil))
        #expect(!arm.accepts(os: "linux", architecture: "arm64", variant: "v9"))
        #expect(try RegistryPlatform(parsing: "linux/amd64").accepts(os: "linux", architecture: "amd64", variant: nil))
        #expect(throws: SlipwayError.self) { try RegistryPlatform(parsing: "linux") }
    }

    @Test("credentials: the environment first, then slipway login, then Docker's config")
    func credentials() throws {
        let scratch = try TemporaryDirectory("slipway-creds")
        let docker = scratch.path + "/docker"
        try makeDirectories(docker)
        let encoded = Data("dockeruser:dockerpass".utf8).base64EncodedString()
        try Data(#"{"auths": {"https://index.docker.io/v1/": {"auth": "\#(encoded)"}, "reg.example:5000": {"username": "u", "password": "p"}}}"#.utf8)
            .write(to: URL(fileURLWithPath: docker + "/config.json"))
        var credentials = RegistryCredentials(home: scratch.home, environment: ["DOCKER_CONFIG": docker])
        #expect(try credentials.lookup("docker.io")?.username == "dockeruser")
        #expect(try credentials.lookup("reg.example:5000")?.password == "p")
        #expect(try credentials.lookup("other.example") == nil)
        try credentials.save("reg.example:5000", username: "slip", password: "way")
        #expect(try credentials.lookup("reg.example:5000")?.username == "slip")
        credentials.environment[RegistryCredentials.variable(for: "reg.example:5000")] = "env:secret"
        #expect(RegistryCredentials.variable(for: "reg.example:5000") == "SLIPWAY_REGISTRY_AUTH_REG_EXAMPLE_5000")
        let found = try credentials.lookup("reg.example:5000")
        #expect(found?.username == "env" && found?.password == "secret")
    }
}
