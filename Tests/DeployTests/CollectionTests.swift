import Artifacts
import Deploy
import Foundation
import SlipwayCore
import Testing

/// A release on a target holds its artifact in the store until the release is pruned.
@Suite(.tags(.medium)) struct ReleaseCollectionTests {
    @Test func deployedArtifactsStayUntilTheirReleasesArePruned() throws {
        let f = try Fixture()
        let first = try f.artifact(["index.html": "v1"])
        #expect(f.deploy(first) { $0.keep = 0 }.succeeded)
        #expect(try f.store.collectGarbage(keepLast: 0, dryRun: false).removed.isEmpty)
        let second = try f.artifact(["index.html": "v2"])
        let third = try f.artifact(["index.html": "v3"])
        #expect(f.deploy(second) { $0.keep = 0 }.succeeded)
        #expect(f.deploy(third) { $0.keep = 0 }.succeeded)
        // keep 0: current (v3) and the release a rollback goes to (v2) stay; v1 was pruned.
        let report = try f.store.collectGarbage(keepLast: 0, dryRun: false)
        #expect(report.removed == [first.digest.description])
        #expect((try? f.store.record(second.digest)) != nil && (try? f.store.record(third.digest)) != nil)
    }
}
