import Artifacts
import Foundation
import SlipwayCore
import SlipwayTestSupport
import Testing

/// Digests are typed in memory and plain `sha256:<hex>` text on disk, as before the type.
@Suite(.tags(.small)) struct StoredFormatTests {
    @Test func recordsAndRefsKeepTheirText() throws {
        let f = try StoreFixture()
        let record = try f.store.pack(directory: f.dir + "/src", provenance: Provenance(buildspecDigest: Digest.of(Data("b".utf8))))
        let path = f.store.blobPath(record.digest)
        #expect(path == f.dir + "/store/blobs/sha256/" + record.hex.prefix(2) + "/" + record.hex)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path + ".json"))) as? [String: Any])
        #expect(json["digest"] as? String == "sha256:" + record.hex)
        #expect((json["blob"] as? [String: Any])?["digest"] as? String == record.blob.digest.description)
        #expect((json["provenance"] as? [String: Any])?["buildspecDigest"] as? String
            == "sha256:3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d")

        try f.store.addReference(kind: "releases", name: "r1", digest: record.digest)
        #expect(try String(contentsOfFile: f.dir + "/store/refs/releases/r1", encoding: .utf8) == "sha256:\(record.hex)\n")
        #expect(f.store.referencedDigests() == [record.digest])
    }

    @Test func aRecordWrittenBeforeTheTypeReadsBack() throws {
        let f = try StoreFixture()
        let hex = String(repeating: "3f", count: 32)
        let digest = try Digest(hex: hex)
        let path = f.store.blobPath(digest)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: path))
        let old = """
            {"blob":{"compression":"zstd","digest":"sha256:\(String(repeating: "ab", count: 32))","size":1},\
            "created":"2026-11-28T04:43:05Z","digest":"sha256:\(hex)","entries":1,"files":1,\
            "mediaType":"application/vnd.slipway.artifact.v1.tar+zstd",\
            "provenance":{"imageDigest":"sha256:\(String(repeating: "b", count: 64))","sourceCommit":"abc123"},"size":1024}
            """
        try Data(old.utf8).write(to: URL(fileURLWithPath: path + ".json"))
        let record = try f.store.resolve("3f3f3f")
        #expect(record.digest == digest && record.shortDigest == "3f3f3f3f3f3f")
        #expect(record.provenance.imageDigest?.hex == String(repeating: "b", count: 64))
        #expect(try f.store.resolve(DigestPrefix(parsing: "SHA256:3F3F")).digest == digest)
    }
}
