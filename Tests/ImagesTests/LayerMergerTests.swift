import Foundation
@testable import Images
import SlipwayCore
import SlipwayTestSupport
import Testing

@Suite("Stacking unpacked layers", .tags(.small))
struct LayerMergerTests {
    @Test("whiteouts, opaque directories, replacements and hard links, without following symlinks")
    func stacks() throws {
        let scratch = try TemporaryDirectory("slipway-merge")
        let lower = try scratch.directory("lower"), upper = try scratch.directory("upper"), target = try scratch.directory("target")
        let outside = scratch.path + "/outside"
        try makeTree(lower, [("a/keep", .file("keep")), ("a/gone", .file("gone")), ("opaque/old", .file("old")),
                             ("link", .symlink(outside)), ("file-then-dir", .file("f")), ("dir-then-file/x", .file("x"))])
        try makeTree(upper, [("a/.wh.gone", .file("")), ("opaque/.wh..wh..opq", .file("")), ("opaque/new", .file("new")),
                             ("link/inside", .file("i")), ("file-then-dir/y", .file("y")), ("dir-then-file", .file("z"))])
        // Read-only in both layers: the upper one's entries still go in, and the mode stays.
        chmod(lower + "/a", 0o555)
        chmod(upper + "/a", 0o555)
        defer { chmod(lower + "/a", 0o755); chmod(upper + "/a", 0o755) }
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
}
