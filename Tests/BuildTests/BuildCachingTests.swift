import Foundation
import SlipwayCore
import SlipwayTestSupport
import Testing
@testable import Build

/// Result cache, build cache and reproducibility, in the real sandbox.
@Suite("Build caching and reproducibility", .tags(.medium), .serialized)
struct BuildCachingTests {
    static let spec = """
        version: 0.2
        phases:
          build:
            commands:
              - mkdir -p out && echo "$MESSAGE" > out/m.txt && cp src.txt out/
        artifacts:
          files: [ 'out/**/*' ]
        """

    @Test func resultCacheHitsThenMissesWhenAnyInputChanges() throws {
        let f = try BuildFixture(buildspec: Self.spec, files: ["src.txt": "v1"], git: true)
        let first = try f.build { $0.environment = ["MESSAGE": "a"] }
        #expect(first.status == .succeeded, "\(f.log(first))")
        #expect(first.cache.result == .miss)
        let second = try f.build { $0.environment = ["MESSAGE": "a"] }
        #expect(second.cache.result == .hit)
        #expect(second.cachedFrom == first.buildID)
        #expect(second.artifacts == first.artifacts)
        #expect(second.phases == first.phases)
        // Any input changed: environment, source, buildspec, image.
        #expect(try f.build { $0.environment = ["MESSAGE": "b"] }.cache.result == .miss)
        try f.write("src.txt", "v2")
        try f.commit(message: "change", date: "2024-01-03T00:00:00Z")
        #expect(try f.build { $0.environment = ["MESSAGE": "a"] }.cache.result == .miss)
        try f.write("buildspec.yml", Self.spec + "\n# changed\n")
        try f.commit(message: "spec", date: "2024-01-04T00:00:00Z")
        #expect(try f.build { $0.environment = ["MESSAGE": "a"] }.cache.result == .miss)
        #expect(try f.build { $0.environment = ["MESSAGE": "a"]; $0.image.digest = Digest.of(Data("other".utf8)) }.cache.result == .miss)
        #expect(try f.build { $0.environment = ["MESSAGE": "a"]; $0.useResultCache = false }.cache.result == .disabled)
    }

    @Test func twoBuildsOfTheSameCommitGiveTheSameDigest() throws {
        let a = try BuildFixture(buildspec: Self.spec, files: ["src.txt": "same"], git: true)
        let b = try BuildFixture(buildspec: Self.spec, files: ["src.txt": "same"], git: true)
        let first = try a.build { $0.useResultCache = false; $0.environment = ["MESSAGE": "m"] }
        Thread.sleep(forTimeInterval: 1.1)
        let second = try b.build { $0.useResultCache = false; $0.environment = ["MESSAGE": "m"] }
        #expect(first.status == .succeeded && second.status == .succeeded)
        #expect(first.sourceCommit == second.sourceCommit)
        #expect(first.artifacts.first?.digest == second.artifacts.first?.digest)
    }

    @Test func cacheIsSavedThenRestoredByKeyAndByFallbackPrefix() throws {
        let f = try BuildFixture(phases: """
            build:
              commands:
                - if [ -f deps/stamp ]; then echo "restored $(cat deps/stamp)"; else echo fresh; fi
                - if [ -f /opt/tool/bin ]; then echo "tool restored"; fi
                - mkdir -p deps /opt/tool && echo "$CACHE_ID" > deps/stamp && echo t > /opt/tool/bin
            """, after: """
            cache:
              key: deps-$CACHE_ID
              fallback-keys: [ deps- ]
              paths: [ 'deps/**/*', /opt/tool ]
            """)
        let first = try f.build { $0.environment = ["CACHE_ID": "one"] }
        #expect(f.log(first).contains("\nfresh\n"), "\(f.log(first))")
        #expect(first.cache.savedKey == "deps-one")
        let exact = try f.build { $0.environment = ["CACHE_ID": "one"]; $0.useResultCache = false }
        #expect(exact.cache.restoredKey == "deps-one")
        #expect(f.log(exact).contains("restored one"))
        #expect(f.log(exact).contains("tool restored"))
        let fallback = try f.build { $0.environment = ["CACHE_ID": "two"] }
        #expect(fallback.cache.restoredKey == "deps-one")
        #expect(f.log(fallback).contains("restored one"))
        #expect(fallback.cache.savedKey == "deps-two")
        // An untrusted ref reads but does not write.
        let untrusted = try f.build { $0.environment = ["CACHE_ID": "three"]; $0.trustedRef = false }
        #expect(untrusted.cache.savedKey == nil)
        #expect(untrusted.cache.notSaved?.contains("not trusted") == true)
        #expect(BuildCacheStore(home: f.home, project: "project").lookup(key: "deps-three", fallbackKeys: []) == nil)
    }
}
