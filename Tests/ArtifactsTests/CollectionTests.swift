import Artifacts
import Foundation
import SlipwayCore
import SlipwayTestSupport
import Testing

/// What garbage collection keeps: artifacts in use, releases' and recent builds' artifacts;
/// and what it takes: everything else, built artifacts past their retention included.
@Suite(.tags(.small)) struct CollectionTests {
    func artifact(_ f: StoreFixture, _ text: String) throws -> ArtifactRecord {
        try Data(text.utf8).write(to: URL(fileURLWithPath: f.dir + "/src/a"))
        return try f.store.pack(directory: f.dir + "/src")
    }

    @Test func anArtifactBeingReadIsKeptUntilItsReaderLetsGo() throws {
        let f = try StoreFixture()
        let record = try artifact(f, "in use")
        var hold: ArtifactUse? = try f.store.use(record.digest)
        let during = try f.store.collectGarbage(keepLast: 0, dryRun: false)
        #expect(during.removed.isEmpty && during.kept == 1)
        #expect((try? f.store.record(record.digest)) != nil)
        hold = nil
        _ = hold
        let after = try f.store.collectGarbage(keepLast: 0, dryRun: false)
        #expect(after.removed == [record.digest.description])
    }

    @Test func buildReferencesExpireAndTheirArtifactsGo() throws {
        let f = try StoreFixture()
        let old = try artifact(f, "old build")
        let recent = try artifact(f, "recent build")
        let released = try artifact(f, "released long ago")
        try f.store.addReference(kind: "builds", name: "app-1", digest: old.digest)
        try f.store.addReference(kind: "builds", name: "app-2", digest: recent.digest)
        try f.store.addReference(kind: "releases", name: "target--000001", digest: released.digest)
        // app-1 and the release reference were written 40 days ago.
        let past = Date().addingTimeInterval(-40 * 86400)
        for name in ["builds/app-1", "releases/target--000001"] {
            try FileManager.default.setAttributes([.modificationDate: past], ofItemAtPath: f.dir + "/store/refs/" + name)
        }
        let report = try f.store.collectGarbage(keepLast: 0, dryRun: false, buildRetention: 30 * 86400)
        #expect(report.removed == [old.digest.description])
        #expect(!FileManager.default.fileExists(atPath: f.dir + "/store/refs/builds/app-1"))
        // A release holds its artifact however old it is.
        #expect((try? f.store.record(released.digest)) != nil && (try? f.store.record(recent.digest)) != nil)
    }
}
