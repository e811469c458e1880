import Foundation
import Images
import SlipwayCore
import SlipwayTestSupport
import Testing

@Suite("Busybox recipe", .tags(.medium), .enabled(if: FileManager.default.fileExists(atPath: "/bin/busybox"), "needs busybox-static"))
struct BusyboxImageTests {
    @Test("the busybox recipe builds a working root filesystem and imports")
    func busyboxRecipe() throws {
        let scratch = try TemporaryDirectory("slipway-images")
        let store = ImageStore(home: scratch.home)
        let record = try store.build(recipe: Busybox.checkout + "/images/busybox", reference: "busybox:recipe")
        #expect(record.reference == "busybox:recipe")
        #expect(record.format == "rootfs-tarball")
        let tree = try snapshot(record.rootfs)
        #expect(tree["bin/sh"] == "link:../bin/busybox")
        #expect(tree["usr/bin/env"] == "link:../../bin/busybox")
        #expect(tree["etc/passwd"]?.hasPrefix("file:root:x:0:0:") == true)
        for dir in ["tmp", "workspace", "proc", "dev", "sys", "root"] { #expect(tree[dir] == "dir", "\(dir)") }
        let tmpMode = try FileManager.default.attributesOfItem(atPath: record.rootfs + "/tmp")[.posixPermissions] as? Int
        #expect(tmpMode == 0o1777)
        #expect(try Program.output(record.rootfs + "/bin/sh", ["-c", "echo hello from busybox"]) == "hello from busybox\n")
    }

    @Test("busyboxForTests is cached and deterministic: two stores get the same digest")
    func sharedHelper() throws {
        let one = try TemporaryDirectory("slipway-images"), two = try TemporaryDirectory("slipway-images")
        let first = try ImageStore(home: one.home).busyboxForTests()
        let started = Date()
        let second = try ImageStore(home: two.home).busyboxForTests()
        #expect(first.digest == second.digest)
        #expect(second.reference == "busybox:latest")
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(FileManager.default.fileExists(atPath: second.rootfs + "/bin/true"))
    }
}
