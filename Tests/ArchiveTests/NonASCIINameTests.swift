import Archive
import Foundation
import SlipwayCore
import SlipwayTestSupport
import Testing

/// Names beyond ASCII (Debian's CA bundle has `NetLock_Arany_=Class_Gold=_Főtanúsítvány.pem`)
/// pack, read back and extract unchanged, and GNU tar reads the same names.
@Suite(.tags(.small)) struct NonASCIINameTests {
    static let names = ["NetLock_Arany_=Class_Gold=_Főtanúsítvány.pem", "日本語/説明.txt", "café ☕.md"]

    @Test func nonASCIINamesRoundTrip() throws {
        let source = try TemporaryDirectory("pack-utf8")
        for name in Self.names {
            let path = source.path + "/tree/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(name.utf8).write(to: URL(fileURLWithPath: path))
        }
        let tarball = source.path + "/tree.tar"
        let sink = MemorySink()
        _ = try TarPacker.pack(directory: source.path + "/tree", mtime: 0, into: try makeCompressor(.none, into: sink))
        try sink.data.write(to: URL(fileURLWithPath: tarball))
        let listed = try Program.run("/bin/tar", ["-tf", tarball], environment: ["LC_ALL": "C.UTF-8"])
        for name in Self.names { #expect(listed.stdout.contains(name + "\n"), "\(listed.stdout)") }

        try Extraction.extract(archive: tarball, to: source.path + "/out")
        for name in Self.names {
            #expect(FileManager.default.contents(atPath: source.path + "/out/" + name) == Data(name.utf8), "\(name)")
        }
    }
}
