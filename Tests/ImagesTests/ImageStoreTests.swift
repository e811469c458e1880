import Archive
import Foundation
import Images
import SlipwayCore
import SlipwayTestSupport
import Testing

@Suite("Image store", .tags(.small))
struct ImageStoreTests {
    /// A one-file rootfs tarball whose content (and so digest) depends on `text`.
    func tarball(_ scratch: TemporaryDirectory, _ text: String) throws -> FixtureLayer {
        let tree = try scratch.makeTree("tree-\(text)", [("etc/id", .file(text))])
        return try FixtureLayer.pack(tree, to: "\(scratch.path)/\(text).tar")
    }

    @Test("names, tags and digest prefixes resolve; unknown ones are not found")
    func resolve() throws {
        let scratch = try TemporaryDirectory("slipway-images")
        let store = ImageStore(home: scratch.home)
        let a = try tarball(scratch, "a")
        try store.importImage(path: a.file, reference: "tools/base:1.0")
        try store.importImage(path: a.file, reference: "tools/base")
        #expect(try store.resolve("tools/base").reference == "tools/base:latest")
        #expect(try store.resolve("tools/base:1.0").digest.description == a.diffID)
        let byDigest = try store.resolve(String(a.diffID.dropFirst(7).prefix(12)))
        #expect(byDigest.digest.description == a.diffID)
        #expect(byDigest.rootfs.hasSuffix("/images/rootfs/" + a.diffID.dropFirst(7)))
        #expect(try store.resolve(a.diffID).digest.description == a.diffID)
        let missing = #expect(throws: SlipwayError.self) { try store.resolve("tools/base:2.0") }
        #expect(missing?.kind == .notFound)
        let bad = #expect(throws: SlipwayError.self) { try store.resolve("Bad Name!") }
        #expect(bad?.kind == .badInput)
        #expect(bad?.message.contains("not a valid image name") == true)
    }

    @Test("references follow Docker's rules")
    func references() throws {
        #expect(try ImageReference(parsing: "busybox").description == "busybox:latest")
        #expect(try ImageReference(parsing: "registry.local/team/app:v1.2_3").tag == "v1.2_3")
        for bad in ["", "UPPER", "a//b", "-x", "x:", "x:-tag", "x:" + String(repeating: "t", count: 129), "a b"] {
            #expect(!ImageReference.isValid(bad), "\(bad)")
        }
    }

    @Test("rm drops a tag; the tree goes with the last tag; a digest removes every tag")
    func remove() throws {
        let scratch = try TemporaryDirectory("slipway-images")
        let store = ImageStore(home: scratch.home)
        let a = try tarball(scratch, "a"), b = try tarball(scratch, "b")
        let first = try store.importImage(path: a.file, reference: "app:1")
        try store.importImage(path: a.file, reference: "app:2")
        try store.importImage(path: b.file, reference: "other")
        try store.remove("app:1")
        #expect(FileManager.default.fileExists(atPath: first.rootfs + "/etc/id"))
        try store.remove("app:2")
        #expect(!FileManager.default.fileExists(atPath: first.rootfs))
        #expect(try store.list().map(\.reference) == ["other:latest"])
        try store.importImage(path: a.file, reference: "app:3")
        try store.importImage(path: a.file, reference: "app:4")
        try store.remove(String(a.diffID.dropFirst(7).prefix(8)))
        #expect(try store.list().map(\.reference) == ["other:latest"])
        #expect(throws: SlipwayError.self) { try store.remove("app:3") }
    }

    @Test("ownership: kept as root (files and directories); the caller's otherwise")
    func ownership() throws {
        let scratch = try TemporaryDirectory("slipway-images")
        let tree = try scratch.makeTree("tree", [("home/user/.profile", .file("p"))])
        let layer = try FixtureLayer.gnuTar(tree, paths: ["home", "home/user", "home/user/.profile"], to: scratch.path + "/owned.tar", owner: 1234)
        let record = try ImageStore(home: scratch.home).importImage(path: layer.file, reference: "owned")
        let expected = geteuid() == 0 ? 1234 : Int(geteuid())
        for path in ["home/user", "home/user/.profile"] {
            let owner = try FileManager.default.attributesOfItem(atPath: record.rootfs + "/" + path)[.ownerAccountID] as? Int
            #expect(owner == expected, "\(path)")
        }
    }

    /// Permission bits arrive exactly as the layer has them, whatever the umask would take
    /// away, setuid and setgid included.
    @Test func modesAreKeptExactly() throws {
        let scratch = try TemporaryDirectory("slipway-images")
        let modes: [String: mode_t] = ["open": 0o666, "readonly": 0o444, "private": 0o600, "setuid": 0o4755, "setgid": 0o2711, "none": 0]
        let tree = try scratch.makeTree("tree", modes.keys.map { ("bin/\($0)", .file($0)) })
        for (name, mode) in modes { chmod(tree + "/bin/" + name, mode) }
        let layer = try FixtureLayer.gnuTar(tree, paths: ["bin"] + modes.keys.sorted().map { "bin/" + $0 }, to: scratch.path + "/modes.tar", owner: 0)
        let record = try ImageStore(home: scratch.home).importImage(path: layer.file, reference: "modes")
        for (name, mode) in modes {
            var st = stat()
            #expect(stat(record.rootfs + "/bin/" + name, &st) == 0 && st.st_mode & 0o7777 == mode, "\(name): \(String(st.st_mode & 0o7777, radix: 8))")
        }
    }

    /// A root-owned file added under a lower layer's setgid directory keeps its own group,
    /// not the one the kernel gives new files there.
    @Test(.enabled(if: geteuid() == 0, "chown needs root"))
    func ownershipUnderASetgidDirectory() throws {
        let scratch = try TemporaryDirectory("slipway-images")
        let lowerTree = try scratch.makeTree("lower", [("shared/old", .file("o"))])
        chmod(lowerTree + "/shared", 0o2775)
        let upperTree = try scratch.makeTree("upper", [("shared/new", .file("n"))])
        let lower = try FixtureLayer.gnuTar(lowerTree, paths: ["shared", "shared/old"], to: scratch.path + "/lower.tar", owner: 1234)
        let upper = try FixtureLayer.gnuTar(upperTree, paths: ["shared/new"], to: scratch.path + "/upper.tar", owner: 0)
        try ImageFixture.ociLayout([lower, upper], at: scratch.path + "/layout")
        let record = try ImageStore(home: scratch.home).importImage(path: scratch.path + "/layout", reference: "setgid")
        var st = stat()
        #expect(stat(record.rootfs + "/shared", &st) == 0 && st.st_mode & S_ISGID != 0 && st.st_gid == 1234)
        #expect(stat(record.rootfs + "/shared/new", &st) == 0 && st.st_uid == 0 && st.st_gid == 0)
    }

    @Test("tag files, records and rootfs names keep their text; a hand-edited tag is reported as corrupt")
    func tagsAndRecordsKeepTheirText() throws {
        let scratch = try TemporaryDirectory("slipway-images")
        let layer = try tarball(scratch, "a")
        let store = ImageStore(home: scratch.home)
        let record = try store.importImage(path: layer.file, reference: "tools/base:1.0")
        let images = scratch.home.images
        #expect(try String(contentsOfFile: images + "/tags/tools+base/1.0", encoding: .utf8) == "\(record.digest)\n")
        #expect(record.rootfs == images + "/rootfs/" + record.digest.hex)
        let json = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: images + "/meta/\(record.digest.hex).json"))) as? [String: Any])
        #expect(json["digest"] as? String == layer.diffID)
        #expect(json["layers"] as? [String] == [layer.diffID])

        try Data("sha256:not-a-digest\n".utf8).write(to: URL(fileURLWithPath: images + "/tags/tools+base/1.0"))
        #expect(errorMessage { _ = try store.resolve("tools/base:1.0") }?
            .hasPrefix("tag file \(images)/tags/tools+base/1.0: 'sha256:not-a-digest' is not a valid sha256 digest") == true)
    }
}
