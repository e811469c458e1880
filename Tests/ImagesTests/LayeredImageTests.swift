import Archive
import Foundation
import Images
import SlipwayCore
import SlipwayTestSupport
import Testing

/// Three layers exercising whiteouts and an opaque directory, and the exact tree they make.
enum WhiteoutImage {
    static func layers(in scratch: TemporaryDirectory, compression: Compression) throws -> [FixtureLayer] {
        let base = try scratch.makeTree("l1", [
            ("etc/keep", .file("k")), ("etc/gone", .file("g")),
            ("opt/old1", .file("1")), ("opt/sub/old2", .file("2")),
            ("usr/bin/tool", .file("v1")), ("var/cache/junk", .file("j")), ("added", .file("a")),
        ])
        let change = try scratch.makeTree("l2", [
            ("etc/.wh.gone", .file("")), ("opt/.wh..wh..opq", .file("")), ("opt/new", .file("n")),
            ("usr/bin/tool", .file("v2")), ("var/.wh.cache", .file("")),
        ])
        let top = try scratch.makeTree("l3", [(".wh.added", .file("")), ("newdir/x", .file("x")), ("etc/.wh.never-existed", .file(""))])
        let ext = compression.fileExtension
        return try [
            FixtureLayer.pack(base, to: scratch.path + "/l1." + ext, compression: compression),
            FixtureLayer.pack(change, to: scratch.path + "/l2." + ext, compression: compression),
            FixtureLayer.pack(top, to: scratch.path + "/l3." + ext, compression: compression),
        ]
    }

    static let expected: [String: String] = [
        "etc": "dir", "etc/keep": "file:k",
        "opt": "dir", "opt/new": "file:n",
        "usr": "dir", "usr/bin": "dir", "usr/bin/tool": "file:v2",
        "var": "dir",
        "newdir": "dir", "newdir/x": "file:x",
    ]
}

@Suite("Layered images", .tags(.small))
struct LayeredImageTests {
    /// One form an image reaches `image import` in: how its layers are compressed, how it is
    /// laid out, how the layout is packed, and what the store records for it.
    struct ImportForm: Sendable, CustomTestStringConvertible {
        enum Layout: Sendable { case oci, dockerLegacy, dockerOCI }
        enum Packing: Sendable { case directory, tar, gzippedTar }

        var testDescription: String
        var compression: Compression
        var layout: Layout
        var packing: Packing
        var reference: String
        var storedReference: String
        var format: String

        /// Lays the image out at `directory`, packs it as the import takes it: the path to
        /// import and the image's digest.
        func make(_ layers: [FixtureLayer], at directory: String) throws -> (path: String, digest: String) {
            let digest = switch layout {
            case .oci: try ImageFixture.ociLayout(layers, at: directory)
            case .dockerLegacy: try ImageFixture.dockerLegacy(layers, at: directory)
            case .dockerOCI: try ImageFixture.dockerOCI(layers, at: directory)
            }
            if packing == .directory { return (directory, digest) }
            try ImageFixture.tarball(of: directory, to: directory + ".tar")
            if packing == .tar { return (directory + ".tar", digest) }
            try Program.output("/bin/gzip", ["-1", directory + ".tar"])
            return (directory + ".tar.gz", digest)
        }
    }

    static let importForms = [
        ImportForm(testDescription: "OCI layout directory, gzip layers", compression: .gzip, layout: .oci, packing: .directory,
                   reference: "layered:1", storedReference: "layered:1", format: "oci-layout"),
        ImportForm(testDescription: "OCI layout as a tar, zstd layers", compression: .zstd, layout: .oci, packing: .tar,
                   reference: "layered", storedReference: "layered:latest", format: "oci-layout"),
        ImportForm(testDescription: "docker save, legacy layout (<id>/layer.tar), as a tar", compression: .none, layout: .dockerLegacy,
                   packing: .tar, reference: "legacy", storedReference: "legacy:latest", format: "docker-save"),
        ImportForm(testDescription: "docker save, OCI-based layout (Docker 25+), gzip-compressed tar", compression: .none,
                   layout: .dockerOCI, packing: .gzippedTar, reference: "newer", storedReference: "newer:latest", format: "docker-save"),
    ]

    @Test("whiteouts and an opaque directory give exactly the expected tree, whatever the form", arguments: importForms)
    func importedForm(_ form: ImportForm) throws {
        let scratch = try TemporaryDirectory("slipway-images")
        let image = try form.make(try WhiteoutImage.layers(in: scratch, compression: form.compression), at: scratch.path + "/image")
        let record = try ImageStore(home: scratch.home).importImage(path: image.path, reference: form.reference)
        #expect(record.digest.description == image.digest)
        #expect(record.reference == form.storedReference)
        #expect(record.format == form.format)
        #expect(record.layers.count == 3)
        #expect(record.environment == ["PATH=/usr/bin:/bin"])
        #expect(try snapshot(record.rootfs) == WhiteoutImage.expected)
    }

    @Test("the same image in two formats is unpacked once")
    func unpackedOncePerDigest() throws {
        let scratch = try TemporaryDirectory("slipway-images")
        let layers = try WhiteoutImage.layers(in: scratch, compression: .none)
        try ImageFixture.ociLayout(layers, at: scratch.path + "/layout")
        try ImageFixture.dockerLegacy(layers, at: scratch.path + "/saved")
        let store = ImageStore(home: scratch.home)
        let first = try store.importImage(path: scratch.path + "/layout", reference: "one")
        let marker = first.rootfs + "/etc/keep"
        let inode = try FileManager.default.attributesOfItem(atPath: marker)[.systemFileNumber] as? Int
        let second = try store.importImage(path: scratch.path + "/saved", reference: "two")
        #expect(second.rootfs == first.rootfs)
        #expect(try FileManager.default.attributesOfItem(atPath: marker)[.systemFileNumber] as? Int == inode)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.home.images + "/rootfs").count == 1)
    }

    @Test("plain rootfs tarballs: tar, tar.gz and tar.zst of one tree are one image")
    func rootfsTarballs() throws {
        let scratch = try TemporaryDirectory("slipway-images")
        let tree = try scratch.makeTree("tree", [("bin/sh", .file("#!")), ("lib", .symlink("usr/lib")), ("usr/lib/libc.so", .file("c"))])
        let store = ImageStore(home: scratch.home)
        var digests: Set<String> = []
        for compression in [Compression.none, .gzip, .zstd] {
            let layer = try FixtureLayer.pack(tree, to: scratch.path + "/rootfs." + compression.fileExtension, compression: compression)
            let record = try store.importImage(path: layer.file, reference: "plain:\(compression.rawValue)")
            #expect(record.digest.description == layer.diffID)
            #expect(record.format == "rootfs-tarball")
            #expect(try snapshot(record.rootfs) == ["bin": "dir", "bin/sh": "file:#!", "lib": "link:usr/lib",
                                                    "usr": "dir", "usr/lib": "dir", "usr/lib/libc.so": "file:c"])
            digests.insert(record.digest.description)
        }
        #expect(digests.count == 1)
        #expect(try store.list().map(\.reference) == ["plain:gzip", "plain:none", "plain:zstd"])
    }

    @Test("merged /usr: files under lib/ and bin/ land in usr/ through the lower layer's links")
    func mergedUsr() throws {
        let scratch = try TemporaryDirectory("slipway-images")
        let base = try scratch.makeTree("base", [("lib", .symlink("usr/lib")), ("bin", .symlink("usr/bin")), ("usr/lib", .dir), ("usr/bin", .dir),
                            ("lib64", .symlink("/usr/lib64")), ("usr/lib64", .dir)])
        let top = try scratch.makeTree("top", [("lib/x86_64-linux-gnu/libc.so.6", .file("libc")), ("bin/sh", .file("sh")),
                           ("lib64/ld-linux-x86-64.so.2", .file("ld"))])
        let layers = [
            try FixtureLayer.pack(base, to: scratch.path + "/base.tar"),
            try FixtureLayer.gnuTar(top, paths: ["lib/x86_64-linux-gnu/libc.so.6", "bin/sh", "lib64/ld-linux-x86-64.so.2"],
                                    to: scratch.path + "/top.tar"),
        ]
        try ImageFixture.ociLayout(layers, at: scratch.path + "/layout")
        let record = try ImageStore(home: scratch.home).importImage(path: scratch.path + "/layout", reference: "merged")
        let tree = try snapshot(record.rootfs)
        #expect(tree["lib"] == "link:usr/lib")
        #expect(tree["bin"] == "link:usr/bin")
        #expect(tree["usr/lib/x86_64-linux-gnu/libc.so.6"] == "file:libc")
        #expect(tree["usr/bin/sh"] == "file:sh")
        #expect(tree["usr/lib64/ld-linux-x86-64.so.2"] == "file:ld")
    }

    @Test("a tarball listing a file twice (GNU tar then writes a hardlink to itself) imports")
    func repeatedEntry() throws {
        let scratch = try TemporaryDirectory("slipway-images")
        let tree = try scratch.makeTree("tree", [("etc/motd", .file("hi"))])
        try Program.output("/bin/tar", ["--format=posix", "-cf", scratch.path + "/twice.tar", "-C", tree, "etc", "etc/motd"])
        let record = try ImageStore(home: scratch.home).importImage(path: scratch.path + "/twice.tar", reference: "twice")
        #expect(try snapshot(record.rootfs) == ["etc": "dir", "etc/motd": "file:hi"])
    }
}
