import Foundation
import SlipwayAPI
import SlipwayCore
import State
import Testing

/// A rollback records the release it went back to once more, copied from that target's own
/// earlier entry, so the listings name it current; on both backends.
@Suite(.tags(.small))
struct ReleaseSwitchBackTests {
    @Test(arguments: StoreBackend.allCases)
    func aSwitchBackRecordsTheTargetsEarlierEntryAgain(_ backend: StoreBackend) async throws {
        let store = try await backend.makeStore().store
        let one = try Digest(parsing: "sha256:" + String(repeating: "1", count: 64))
        let two = try Digest(parsing: "sha256:" + String(repeating: "2", count: 64))
        let start = Date(timeIntervalSince1970: 1_764_300_000)
        for (n, (target, release, artifact)) in [("/srv/a", "r1", one), ("/srv/b", "r1", two), ("/srv/a", "r2", two)].enumerated() {
            try await store.recordRelease(DeployedRelease(pipeline: "site", target: target, release: ReleaseID(release), artifact: artifact,
                                                          commit: "c\(n)", run: nil, time: start + Double(n)))
        }
        try await store.recordSwitchBack(pipeline: "site", target: "/srv/a", to: "r1")
        try await store.recordSwitchBack(pipeline: "site", target: "/srv/a", to: "r9")  // never there: nothing recorded

        let recorded = try await store.deployedReleases(pipeline: "site")
        #expect(recorded.map(\.release) == ["r1", "r2", "r1", "r1"])
        let again = try #require(recorded.first)
        #expect(again.target == "/srv/a" && again.artifact == one && again.commit == "c0" && again.time > start + 2)
        let releases = try #require(try await store.releases(pipeline: "site", targets: ["/srv/a"]).first)
        #expect(releases.releases.first { $0.current }?.id == "r1")
    }
}
