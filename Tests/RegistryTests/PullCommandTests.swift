import Foundation
import Images
import SlipwayCore
import SlipwayTestSupport
import Testing

/// `slipway image pull`, `login`, `ls` and builds on registry images, end to end with the binary.
@Suite("slipway image pull and builds on pulled images", .tags(.large),
       .enabled(if: RegistryServers.available && SlipwayCommand.isBuilt), .serialized)
struct PullCommandTests {
    let scratch: ScratchHome
    let registries: RegistryServers
    var slipway: SlipwayCommand { scratch.slipway() }

    init() throws {
        scratch = try ScratchHome("slipway-pull-cli")
        registries = try RegistryServers.shared()
    }

    func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
    }

    /// busybox (for /bin/sh) in one layer, a marker file in a second.
    func toolImage(_ marker: String) throws -> TestImage {
        let image = try TestImage(layout: scratch.path + "/layout-" + marker)
        let root = try scratch.directory("root-" + marker)
        try Busybox.install(into: root)
        let tar = scratch.path + "/busybox-\(marker).tar"
        try Program.output("/bin/tar", ["--format=posix", "-cf", tar, "-C", root, "."])
        let layers = [try TestImage.layer(tarFile: tar, compression: .gzip),
                      try TestImage.layer([("etc/marker", marker)], compression: .zstd, scratch: scratch.path)]
        let (manifest, _) = try image.manifest(layers)
        try image.tag(manifest, "latest")
        return image
    }

    @Test("pull prints the digest, ls shows name, tag, digest, size and origin, a second pull is up to date")
    func pullAndList() throws {
        try registries.push(layout: try toolImage("cli").layout, to: "\(registries.plain)/team/tool:1")
        let reference = "\(registries.plain)/team/tool:1"
        let first = try slipway.run(["image", "pull", "--insecure", reference])
        #expect(first.succeeded, "\(first)")
        #expect(first.stdout.hasPrefix("sha256:"))
        #expect(first.stderr.contains("2 layers pulled"))
        #expect(!first.stderr.contains("\u{1B}["), "no progress drawing when stderr is not a terminal")
        let again = try slipway.run(["image", "pull", "--insecure", reference, "--json"])
        #expect(json(again.stdout)["upToDate"] as? Bool == true, "\(again)")
        let list = try slipway.run(["image", "ls"])
        let lines = list.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.split(separator: " ", omittingEmptySubsequences: true) == ["NAME", "TAG", "DIGEST", "SIZE", "ORIGIN", "CREATED"])
        #expect(lines.contains { $0.hasPrefix("\(registries.plain)/team/tool ") && $0.contains(" 1 ") && $0.contains(reference) })

        let insecureRequired = try slipway.run(["image", "pull", "\(registries.plain)/team/tool:1"], environment: ["SLIPWAY_HOME": scratch.path + "/h2"])
        #expect(insecureRequired.status == 1 && insecureRequired.stderr.contains("TLS with registry"))
        let missing = try slipway.run(["image", "pull", "--insecure", "\(registries.plain)/team/tool:404"])
        #expect(missing.status == 2 && missing.stderr.contains("has no tag '404'"))
        let badPlatform = try slipway.run(["image", "pull", "--insecure", "--platform", "linux", reference])
        #expect(badPlatform.status == 2 && badPlatform.stderr.contains("OS/ARCH"))
    }

    @Test("login reads the password from stdin, checks it and is used by later pulls")
    func login() throws {
        try registries.push(layout: try toolImage("login").layout, to: "\(registries.tls)/team/login:1")
        let env = scratch.environment
        let wrong = try Program.run("/bin/sh", ["-c", "printf wrong | '\(SlipwayCommand.binary)' image login \(registries.tls) --username \(RegistryServers.user) --ca \(registries.caFile)"], environment: env)
        #expect(wrong.status == 1 && wrong.stderr.contains("refused the credentials"), "\(wrong)")
        let empty = try slipway.run(["image", "login", registries.tls, "--username", "x"])
        #expect(empty.status == 2 && empty.stderr.contains("no password on stdin"))
        let right = try Program.run("/bin/sh", ["-c", "printf '%s\\n' '\(RegistryServers.password)' | '\(SlipwayCommand.binary)' image login \(registries.tls) --username \(RegistryServers.user) --ca \(registries.caFile)"], environment: env)
        #expect(right.succeeded, "\(right)")
        let pulled = try slipway.run(["image", "pull", "--ca", registries.caFile, "\(registries.tls)/team/login:1"])
        #expect(pulled.succeeded, "\(pulled)")
    }

    @Test("a build on a registry reference pulls it on first use and records the digest; build.runtimes picks the image")
    func buildPullsOnFirstUse() throws {
        let image = try toolImage("build")
        try registries.push(layout: image.layout, to: "\(registries.plain)/team/node:20")
        let project = try scratch.directory("project")
        try Data("""
            version: 0.2
            phases:
              install:
                runtime-versions:
                  nodejs: 20
              build:
                commands:
                  - cat /etc/marker > out.txt
            artifacts:
              files: [out.txt]
            """.utf8).write(to: URL(fileURLWithPath: project + "/buildspec.yml"))
        let env = ["SLIPWAY_INSECURE_REGISTRIES": registries.plain]
        let reference = "\(registries.plain)/team/node:20"
        let built = try slipway.run(["build", project, "--image", reference, "--json"], environment: env)
        #expect(built.succeeded, "\(built)")
        let pulled = try scratch.store.resolve(reference)
        #expect(json(built.stdout)["imageDigest"] as? String == pulled.digest.description, "\(built.stdout)")
        #expect(built.stderr.contains("Slipway installs no runtimes: nodejs 20 must come with the image"), "a positioned warning, not an error")
        #expect(built.stderr.contains("buildspec.yml:5:"))

        try Data("""
            build:
              runtimes:
                nodejs: "\(registries.plain)/team/node:{version}"
            """.utf8).write(to: URL(fileURLWithPath: project + "/slipway.yml"))
        let mapped = try slipway.run(["build", project, "--json", "--no-cache"], environment: env)
        #expect(mapped.succeeded, "\(mapped)")
        #expect(json(mapped.stdout)["image"] as? String == reference, "\(mapped.stdout)")
        #expect(!mapped.stderr.contains("installs no runtimes"))
    }
}
