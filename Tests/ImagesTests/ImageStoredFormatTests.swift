import Foundation
import Images
import SlipwayCore
import Testing

/// Image digests are typed in memory and plain `sha256:<hex>` text in tag files and records.
@Suite("Image store formats") struct ImageStoredFormatTests {
    @Test("tag files, records and rootfs names keep their text; a hand-edited tag is reported as corrupt")
    func tagsAndRecordsKeepTheirText() throws {
        let scratch = Scratch()
        defer { scratch.cleanup() }
        let tree = scratch.dir("tree")
        try makeTree(tree, [("etc/id", .file("a"))])
        let layer = try FixtureLayer.pack(tree, to: scratch.path + "/a.tar")
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
