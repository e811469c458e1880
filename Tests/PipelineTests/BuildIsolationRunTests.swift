import Foundation
import SlipwayTestSupport
import Specs
import Testing

/// A pipeline's `build.limits` and `build.seccomp` reach its builds, and the run records what
/// its build ran under: a build without the seccomp filter is never silent about it.
@Suite(.tags(.large))
struct BuildIsolationRunTests {
    @Test func theRunRecordsTheBuildsLimitsAndSeccompSetting() async throws {
        let f = try PipelineFixture(buildspec: PipelineFixture.siteBuildspec(first: ["unshare -U true && echo NESTED-NAMESPACE"]))
        try await f.register { spec in
            spec.build.limits.pids = .limit(300)
            spec.build.limits.tmpSize = .limit(64 << 20)
            spec.build.seccomp = .unconfined
        }
        let run = try #require(try await f.start())
        let record = try await f.finished(run)
        let log = try await f.log(run)
        #expect(record.status == .succeeded, "\(log)")
        #expect(log.contains("Sandbox: memory 4 GiB, pids 300, cpus ") && log.contains("/tmp 64 MiB, upper layer 2 GiB; seccomp unconfined"), "\(log)")
        #expect(log.contains("NESTED-NAMESPACE"), "\(log)")
    }
}
