import Archive
import Foundation
import Images
import SlipwayCore
import SlipwayTestSupport
import Testing

@Suite("Hostile images", .tags(.small))
struct HostileImageTests {
    @Test("a layer writing through an earlier layer's absolute symlink stays inside the image")
    func symlinkFromLowerLayer() throws {
        let scratch = try TemporaryDirectory("slipway-images")
        let outside = "/tmp/slipway-outside-\(UInt64.random(in: 0...UInt64.max))"
        defer { removeTree(outside) }
        let base = try scratch.makeTree("base", [("evil", .symlink(outside)), ("abs", .symlink("/")), ("up", .symlink("../../.."))])
        let top = try scratch.makeTree("top", [("evil/pwned", .file("owned")), ("abs/tmp/via-root", .file("r")), ("up/etc/via-dotdot", .file("d"))])
        let layers = [
            try FixtureLayer.pack(base, to: scratch.path + "/base.tar"),
            try FixtureLayer.gnuTar(top, paths: ["evil/pwned", "abs/tmp/via-root", "up/etc/via-dotdot"], to: scratch.path + "/top.tar"),
        ]
        try ImageFixture.ociLayout(layers, at: scratch.path + "/layout")
        let record = try ImageStore(home: scratch.home).importImage(path: scratch.path + "/layout", reference: "evil")
        #expect(!FileManager.default.fileExists(atPath: outside))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/via-root"))
        #expect(!FileManager.default.fileExists(atPath: "/etc/via-dotdot"))
        #expect(FileManager.default.fileExists(atPath: record.rootfs + outside + "/pwned"))
        #expect(FileManager.default.fileExists(atPath: record.rootfs + "/tmp/via-root"))
        #expect(FileManager.default.fileExists(atPath: record.rootfs + "/etc/via-dotdot"))
    }

    @Test("a blob whose digest does not match is refused, naming the blob; nothing is kept")
    func tamperedBlob() throws {
        let scratch = try TemporaryDirectory("slipway-images")
        let layers = try WhiteoutImage.layers(in: scratch, compression: .gzip)
        try ImageFixture.ociLayout(layers, at: scratch.path + "/layout")
        // Replace layer 2's bytes with layer 3's (a valid tar.gz) under layer 2's name.
        let victim = scratch.path + "/layout/blobs/sha256/" + layers[1].digest.dropFirst(7)
        try FileManager.default.removeItem(atPath: victim)
        try FileManager.default.copyItem(atPath: layers[2].file, toPath: victim)
        let store = ImageStore(home: scratch.home)
        let message = errorMessage { _ = try store.importImage(path: scratch.path + "/layout", reference: "tampered") }
        #expect(message?.contains("layer 2 of 3") == true)
        #expect(message?.contains("blobs/sha256/" + layers[1].digest.dropFirst(7)) == true)
        #expect(message?.contains("blob digest mismatch") == true)
        #expect(try store.list().isEmpty)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: scratch.home.images + "/rootfs")) ?? []).isEmpty)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: scratch.home.images + "/tmp")) ?? []).isEmpty)
    }

    @Test("a layer whose uncompressed digest is not the config's diff_id is refused")
    func wrongDiffID() throws {
        let scratch = try TemporaryDirectory("slipway-images")
        let layers = try WhiteoutImage.layers(in: scratch, compression: .zstd)
        try ImageFixture.ociLayout(layers, at: scratch.path + "/layout",
                                   diffIDs: [layers[0].diffID, layers[2].diffID, layers[2].diffID])
        let message = errorMessage { _ = try ImageStore(home: scratch.home).importImage(path: scratch.path + "/layout", reference: "x") }
        #expect(message?.contains("diff_ids[1]") == true)
        #expect(message?.contains(layers[2].diffID) == true)
    }

    @Test("a legacy docker save layer that was altered is caught by diff_ids")
    func tamperedLegacyLayer() throws {
        let scratch = try TemporaryDirectory("slipway-images")
        let layers = try WhiteoutImage.layers(in: scratch, compression: .none)
        try ImageFixture.dockerLegacy(layers, at: scratch.path + "/saved")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: scratch.path + "/saved/manifest.json"))) as! [[String: Any]]
        let firstLayer = scratch.path + "/saved/" + ((manifest[0]["Layers"] as! [String])[0])
        try FileManager.default.removeItem(atPath: firstLayer)
        try FileManager.default.copyItem(atPath: layers[1].file, toPath: firstLayer)
        let message = errorMessage { _ = try ImageStore(home: scratch.home).importImage(path: scratch.path + "/saved", reference: "x") }
        #expect(message?.contains("layer 1 of 3") == true)
        #expect(message?.contains("diff_ids[0]") == true)
    }

    @Test("broken documents: errors name the file and the field")
    func brokenDocuments() throws {
        let scratch = try TemporaryDirectory("slipway-images")
        let store = ImageStore(home: scratch.home)
        let layout = try scratch.directory("layout")
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: layout + "/oci-layout"))
        #expect(errorMessage { _ = try store.importImage(path: layout, reference: "x") }?.contains("'index.json' is missing") == true)
        try Data(#"{"schemaVersion":2}"#.utf8).write(to: URL(fileURLWithPath: layout + "/index.json"))
        #expect(errorMessage { _ = try store.importImage(path: layout, reference: "x") }?.contains("missing field 'manifests'") == true)
        try Data(#"{"manifests":[{"digest":"sha256:abc"}]}"#.utf8).write(to: URL(fileURLWithPath: layout + "/index.json"))
        #expect(errorMessage { _ = try store.importImage(path: layout, reference: "x") }?.contains("not a valid sha256 digest") == true)
        let missing = "sha256:" + String(repeating: "a", count: 64)
        try Data(#"{"manifests":[{"digest":"\#(missing)"}]}"#.utf8).write(to: URL(fileURLWithPath: layout + "/index.json"))
        #expect(errorMessage { _ = try store.importImage(path: layout, reference: "x") }?.contains("blobs/sha256/aaaa") == true)
        let empty = try scratch.directory("empty")
        #expect(errorMessage { _ = try store.importImage(path: empty, reference: "x") }?.contains("OCI image layout") == true)
        #expect(errorMessage { _ = try store.importImage(path: scratch.path + "/nope", reference: "x") }?.contains("nope") == true)
        let notTar = scratch.path + "/garbage.tar"
        try Data("this is not a tarball".utf8).write(to: URL(fileURLWithPath: notTar))
        #expect(errorMessage { _ = try store.importImage(path: notTar, reference: "x") }?.contains("garbage.tar") == true)
    }

    @Test("device nodes in a layer are refused, naming the entry", .enabled(if: geteuid() == 0, "mknod needs root"))
    func deviceNode() throws {
        let scratch = try TemporaryDirectory("slipway-images")
        let tree = try scratch.directory("tree")
        try Program.output("/bin/mknod", [tree + "/null", "c", "1", "3"])
        _ = try FixtureLayer.gnuTar(tree, paths: ["null"], to: scratch.path + "/dev.tar")
        let message = errorMessage { _ = try ImageStore(home: scratch.home).importImage(path: scratch.path + "/dev.tar", reference: "x") }
        #expect(message?.contains("'null'") == true)
        #expect(message?.contains("device") == true)
    }
}
