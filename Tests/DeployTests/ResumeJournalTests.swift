@testable import Deploy
import Foundation
import SlipwayCore
import Testing

/// How a deploy whose process died is found in a target's journal, and what it left there.
@Suite(.tags(.small)) struct ResumeJournalTests {
    static let digest = try! Digest(parsing: "sha256:" + String(repeating: "ab", count: 32))
    static let other = try! Digest(parsing: "sha256:" + String(repeating: "cd", count: 32))
    static let began = Date(timeIntervalSince1970: 1_800_000_000)

    static func at(_ seconds: Double) -> Date { began.addingTimeInterval(seconds) }

    static let before = [
        JournalRecord(event: .created, release: "1-old", artifact: other, time: at(-100)),
        JournalRecord(event: .prepared, release: "1-old", time: at(-99)),
        JournalRecord(event: .switched, release: "1-old", time: at(-98)),
    ]

    @Test func aDeployThatMadeNothingYetIsAbsent() throws {
        guard case .absent = try Deployer.find(Self.digest, since: Self.began, records: Self.before, current: "1-old") else {
            Issue.record("expected absent"); return
        }
        // The same artifact deployed before the run's deploy began is someone else's release.
        let earlier = Self.before + [JournalRecord(event: .created, release: "2-x", artifact: Self.digest, time: Self.at(-50))]
        guard case .absent = try Deployer.find(Self.digest, since: Self.began, records: earlier, current: "1-old") else {
            Issue.record("expected absent"); return
        }
    }

    @Test func aReleaseNeverSwitchedToIsNotLive() throws {
        let records = Self.before + [JournalRecord(event: .created, release: "2-new", artifact: Self.digest, time: Self.at(1)),
                                     JournalRecord(event: .prepared, release: "2-new", time: Self.at(2))]
        guard case let .notSwitched(release, prepared) = try Deployer.find(Self.digest, since: Self.began, records: records, current: "1-old") else {
            Issue.record("expected not switched"); return
        }
        #expect(release == "2-new" && prepared)
        #expect(!Deployer.Found.notSwitched(release: release, prepared: prepared).wentLive)
    }

    @Test func aSwitchedReleaseThatIsCurrentIsLiveWithItsPrevious() throws {
        let records = Self.before + [JournalRecord(event: .created, release: "2-new", artifact: Self.digest, time: Self.at(1)),
                                     JournalRecord(event: .prepared, release: "2-new", time: Self.at(2)),
                                     JournalRecord(event: .switched, release: "2-new", previous: "1-old", time: Self.at(3))]
        guard case let .live(release, previous) = try Deployer.find(Self.digest, since: Self.began, records: records, current: "2-new") else {
            Issue.record("expected live"); return
        }
        #expect(release == "2-new" && previous == "1-old")
    }

    @Test func aReleaseMarkedBadOrSwitchedBackWasFailing() throws {
        let switched = Self.before + [JournalRecord(event: .created, release: "2-new", artifact: Self.digest, time: Self.at(1)),
                                      JournalRecord(event: .prepared, release: "2-new", time: Self.at(2)),
                                      JournalRecord(event: .switched, release: "2-new", previous: "1-old", time: Self.at(3))]
        let back = switched + [JournalRecord(event: .switched, release: "1-old", previous: "2-new", note: "automatic rollback", time: Self.at(4))]
        guard case let .failed(release, previous, current) = try Deployer.find(Self.digest, since: Self.began, records: back, current: "1-old") else {
            Issue.record("expected failed"); return
        }
        #expect(release == "2-new" && previous == "1-old" && current == "1-old")
        let bad = switched + [JournalRecord(event: .bad, release: "2-new", note: "health check failed", time: Self.at(4))]
        guard case .failed = try Deployer.find(Self.digest, since: Self.began, records: bad, current: "2-new") else {
            Issue.record("expected failed"); return
        }
    }

    @Test func aTargetThatMovedOnIsLeftToAPerson() throws {
        let records = Self.before + [JournalRecord(event: .created, release: "2-new", artifact: Self.digest, time: Self.at(1)),
                                     JournalRecord(event: .switched, release: "2-new", previous: "1-old", time: Self.at(3)),
                                     JournalRecord(event: .created, release: "3-later", artifact: Self.other, time: Self.at(60))]
        #expect(throws: (any Error).self) { try Deployer.find(Self.digest, since: Self.began, records: records, current: "2-new") }
        let rolledBack = Self.before + [JournalRecord(event: .switched, release: "0-older", previous: "1-old", time: Self.at(5))]
        #expect(throws: (any Error).self) { try Deployer.find(Self.digest, since: Self.began, records: rolledBack, current: "0-older") }
    }
}
