import Foundation
@testable import Images
import SlipwayCore
import SlipwayTestSupport
import Testing

/// The pieces that stack unpacked layers into a root filesystem: the merge itself, and the
/// read-only directories of lower layers opened for upper ones (an unprivileged import).
@Suite("Stacking unpacked layers", .tags(.small))
struct LayerMergerTests {
    @Test("whiteouts, opaque directories, replacements and hard links, without following symlinks")
    func stacks() throws {
        let scratch = try TemporaryDirectory("slipway-merge")
        let outside = scratch.path + "/outside"
        let lower = try scratch.makeTree("lower", [("a/keep", .file("keep")), ("a/gone", .file("gone")), ("opaque/old", .file("old")),
                             ("link", .symlink(outside)), ("file-then-dir", .file("f")), ("dir-then-file/x", .file("x"))])
        let upper = try scratch.makeTree("upper", [("a/.wh.gone", .file("")), ("opaque/.wh..wh..opq", .file("")), ("opaque/new", .file("new")),
                             ("link/inside", .file("i")), ("file-then-dir/y", .file("y")), ("dir-then-file", .file("z"))])
        // Read-only in both layers: the upper one's entries still go in, and the mode stays.
        chmod(lower + "/a", 0o555)
        chmod(upper + "/a", 0o555)
        defer { chmod(lower + "/a", 0o755); chmod(upper + "/a", 0o755) }
        let target = try scratch.directory("target")
        var merger = LayerMerger(target: target)
        try merger.merge(layer: lower)
        try merger.merge(layer: upper)
        try merger.finish()
        let tree = try snapshot(target)
        #expect(tree["a/keep"] == "file:keep" && tree["a/gone"] == nil && tree["a/.wh.gone"] == nil)
        #expect(tree["opaque/old"] == nil && tree["opaque/new"] == "file:new" && tree["opaque/.wh..wh..opq"] == nil)
        #expect(tree["link"] == "dir" && tree["link/inside"] == "file:i", "a directory replaces a symlink; nothing is written through it")
        #expect(!FileManager.default.fileExists(atPath: outside))
        #expect(tree["file-then-dir/y"] == "file:y" && tree["dir-then-file"] == "file:z")
        var a = stat(), b = stat()
        #expect(stat(target + "/a/keep", &a) == 0 && stat(lower + "/a/keep", &b) == 0 && a.st_ino == b.st_ino, "files are hard links")
        #expect(stat(target + "/a", &a) == 0 && a.st_mode & 0o777 == 0o555, "directory modes come from the layers")
        chmod(target + "/a", 0o755)
    }

    @Test("read-only directories of lower layers are opened for upper layers, then restored")
    func openAndRestore() throws {
        let scratch = try TemporaryDirectory("slipway-images")
        let root = try scratch.makeTree("root", [("ro/inner/file", .file("x")), ("locked", .dir), ("plain", .dir)])
        chmod(root + "/ro/inner", 0o555)
        chmod(root + "/ro", 0o555)
        chmod(root + "/locked", 0o000)
        var writable = WritableDirectories()
        try writable.openUp(root)
        func mode(_ path: String) -> Int? {
            try? FileManager.default.attributesOfItem(atPath: root + "/" + path)[.posixPermissions] as? Int
        }
        #expect(mode("ro") == 0o755)
        #expect(mode("ro/inner") == 0o755)
        #expect(mode("locked") == 0o700)
        #expect(mode("plain") == 0o755)
        chmod(root + "/ro/inner", 0o711)  // a later layer declares its own mode: kept
        try writable.restore()
        #expect(mode("ro") == 0o555)
        #expect(mode("ro/inner") == 0o711)
        #expect(mode("locked") == 0o000)
        #expect(mode("plain") == 0o755)
    }
}
