import Foundation
import Images
import SlipwayCore
import Testing

@Suite("Busybox recipe", .tags(.medium), .enabled(if: FileManager.default.fileExists(atPath: "/bin/busybox"), "needs busybox-static"))
struct BusyboxImageTests {
    @Test("the busybox recipe builds a working root filesystem and imports")
    func busyboxRecipe() throws {
        let scratch = Scratch()
        defer { scratch.cleanup() }
        let store = ImageStore(home: scratch.home)
        let record = try store.build(recipe: ImageStoreTestPaths.checkout + "/images/busybox", reference: "busybox:recipe")
        #expect(record.reference == "busybox:recipe")
        #expect(record.format == "rootfs-tarball")
        let tree = try snapshot(record.rootfs)
        #expect(tree["bin/sh"] == "link:../bin/busybox")
        #expect(tree["usr/bin/env"] == "link:../../bin/busybox")
        #expect(tree["etc/passwd"]?.hasPrefix("file:root:x:0:0:") == true)
        for dir in ["tmp", "workspace", "proc", "dev", "sys", "root"] { #expect(tree[dir] == "dir", "\(dir)") }
        let tmpMode = try FileManager.default.attributesOfItem(atPath: record.rootfs + "/tmp")[.posixPermissions] as? Int
        #expect(tmpMode == 0o1777)
        #expect(try run(record.rootfs + "/bin/sh", ["-c", "echo hello from busybox"]) == "hello from busybox\n")
    }

    @Test("busyboxForTests is cached and deterministic: two stores get the same digest")
    func sharedHelper() throws {
        let one = Scratch(), two = Scratch()
        defer { one.cleanup(); two.cleanup() }
        let first = try ImageStore(home: one.home).busyboxForTests()
        let started = Date()
        let second = try ImageStore(home: two.home).busyboxForTests()
        #expect(first.digest == second.digest)
        #expect(second.reference == "busybox:latest")
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(FileManager.default.fileExists(atPath: second.rootfs + "/bin/true"))
    }
}

enum ImageStoreTestPaths {
    /// The package root: Tests/ImagesTests/<file> → the checkout.
    static let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
}
