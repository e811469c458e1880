import Foundation
import SlipwayAPI
import Testing
@testable import SlipwayCLI

/// What `slipway run` and `slipway retry` say at the end is true: a target is "served" only
/// when its deploy stage succeeded, and the stage that stopped a run is named with what
/// stopped it.
@Suite(.tags(.small)) struct SummaryTextTests {
    static let targets = ["staging": ["/srv/staging"], "production": ["/srv/production"]]

    func run(_ status: RunStatus, _ stages: [StageRecord]) -> RunRecord {
        RunRecord(id: 7, pipeline: "shop", status: status, trigger: Trigger(.cli, actor: "ada"),
                  commit: CommitInfo(id: String(repeating: "c", count: 40), author: "Ada", time: Date(), message: "change"),
                  created: Date(timeIntervalSince1970: 100), finished: Date(timeIntervalSince1970: 110), stages: stages,
                  release: "000001-x")
    }

    @Test func aRejectedRunDoesNotSayProductionIsServed() {
        let record = run(.failed, [
            StageRecord(name: "source", kind: .source, status: .succeeded, output: .commit("c")),
            StageRecord(name: "staging", kind: .deploy, status: .succeeded, output: .release("000001-x")),
            StageRecord(name: "approve-production", kind: .approval, status: .failed, note: "rejected by bob: not today"),
            StageRecord(name: "production", kind: .deploy, status: .skipped),
        ])
        let summary = RunSummary(run: record, targets: Self.targets)
        #expect(summary.served == ["/srv/staging/current"])
        let text = RunCommand.describe(summary)
        #expect(text.contains("  served    /srv/staging/current"))
        #expect(!text.contains("/srv/production"))
        #expect(text.contains("  failed    approve-production: rejected by bob: not today"), "\(text)")
    }

    @Test func aCancelledRunServesNothingAndSaysWhoCancelled() {
        let record = run(.cancelled, [
            StageRecord(name: "source", kind: .source, status: .succeeded, output: .commit("c")),
            StageRecord(name: "build", kind: .build, status: .cancelled, note: "cancelled by ada"),
            StageRecord(name: "staging", kind: .deploy, status: .skipped),
        ])
        let summary = RunSummary(run: record, targets: Self.targets)
        #expect(summary.served.isEmpty)
        let text = RunCommand.describe(summary)
        #expect(!text.contains("served") && !text.contains("release"), "\(text)")
        #expect(text.contains("run 7 of shop: cancelled"))
        #expect(text.contains("  cancelled build: cancelled by ada"), "\(text)")
    }

    @Test func aStageTakenOverByARetryStillCountsAsServed() {
        let record = run(.succeeded, [
            StageRecord(name: "staging", kind: .deploy, status: .skipped, output: .release("000001-x"), note: "done in run 6"),
            StageRecord(name: "production", kind: .deploy, status: .succeeded, output: .release("000002-y")),
        ])
        #expect(RunSummary(run: record, targets: Self.targets).served == ["/srv/staging/current", "/srv/production/current"])
    }

    @Test func statusesReadAsSentences() {
        #expect("run 3 \(RunStatus.succeeded.sentence)" == "run 3 succeeded")
        #expect("it \(RunStatus.cancelled.sentence)" == "it was cancelled")
        #expect("it \(RunStatus.waitingApproval.sentence)" == "it is waiting for approval")
    }
}
