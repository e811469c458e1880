import Artifacts
import Build
import Foundation
import SlipwayAPI
import SlipwayCore

extension Orchestrator {
    /// `build.check`: the stage's request built again from another checkout of the commit, a
    /// second later, on one CPU, past the result cache, and the artifacts compared. The
    /// sandbox pins umask, time zone and locale for both builds alike, so varying them in this
    /// process would change nothing a build sees; `slipway build --check` varies them anyway.
    func check(_ first: BuildResult, of request: BuildRequest, commit: String, _ run: ActiveRun) async throws -> BuildFacts.CheckVerdict {
        run.log("build", "build.check: building commit \(commit.prefix(12)) again from another checkout, on one CPU, a second later")
        let home = self.home
        return try await BlockingPool.stages.run {
            let scratch = try ReproducibilityCheck.scratchDirectory()
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            var again = request
            again.source = try ReproducibilityCheck.sourceElsewhere(request.source, commit: commit, dirty: false, under: scratch + "/elsewhere")
            again.useResultCache = false
            ReproducibilityCheck.waitPast(first)
            let second = try ReproducibilityCheck.onOneCPU {
                try BuildRunner(home: home).run(again) { event in
                    if case let .log(line, _) = event { run.output("build", "[check] " + line) }
                }
            }
            if run.stop != nil || second.status == .stopped { throw StageStop.cancelled }
            guard second.succeeded else {
                throw StageStop.failed("build.check: the second build \(second.buildID) ended \(second.status.rawValue)"
                                       + (second.message.map { ": \($0)" } ?? ""))
            }
            let store = ArtifactStore(home: home)
            let comparison = try ReproducibilityCheck(first: first, second: second, store: store)
            let verdict = BuildFacts.CheckVerdict(reproducible: comparison.reproducible, secondBuild: second.buildID,
                                                  differences: comparison.differingPaths)
            if comparison.reproducible {
                run.log("build", "build.check: reproducible: build \(second.buildID) gave the same artifacts")
            } else {
                run.log("build", "build.check: NOT reproducible: build \(second.buildID) differs in \(verdict.differenceCount) place(s)")
                for line in verdict.differences.prefix(20) { run.log("build", "  " + line) }
                for (file, report) in (try? comparison.diffs(store: store, scratch: scratch))?.sorted(by: { $0.key < $1.key }) ?? [] {
                    run.log("build", "  \(file):")
                    for line in report.split(separator: "\n").prefix(30) { run.log("build", "    " + line) }
                }
            }
            return verdict
        }
    }
}

extension RunRecord {
    /// Sets what the run's build stage records about its image and check.
    mutating func setBuildFacts(_ facts: BuildFacts) {
        guard let index = stages.firstIndex(where: { $0.kind == .build }) else { return }
        stages[index].build = facts
    }
}
