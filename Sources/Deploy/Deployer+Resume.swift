import Artifacts
import Foundation
import SlipwayCore

extension Deployer {
    /// How a deploy whose process died (killed, or its service stopped mid-deploy) ends, read
    /// from its targets' journals.
    public enum Resumption: Sendable {
        /// It switched no target: nothing live changed, so deploying again is safe.
        case redeploy
        /// Carried on from where it stopped: live and healthy everywhere, or switched back.
        case finished(DeployResult)
        /// A person must decide (another deploy changed a target since, a target could not
        /// be read): why.
        case undecided(String)
    }

    /// Where the dead deploy's release stands on one target.
    enum Found {
        /// No release of the artifact was created here after the deploy began.
        case absent
        /// Created, maybe prepared; never switched to.
        case notSwitched(release: String, prepared: Bool)
        /// `current` names it; whether it is healthy is not known yet.
        case live(release: String, previous: String?)
        /// The dead deploy was already failing here (marked bad or switched back).
        case failed(release: String, previous: String?, current: String?)

        /// Whether the dead deploy switched this target at some point.
        var wentLive: Bool {
            switch self {
            case .absent, .notSwitched: false
            case .live, .failed: true
            }
        }

        var failing: Bool {
            if case .failed = self { return true }
            return false
        }
    }

    /// Finishes the deploy of `artifact` that a dead process began at `since`, from each
    /// target's journal:
    /// - no target switched to its release: `.redeploy` (the half-made release is marked bad);
    /// - some switched and none failed: every switched target's ApplicationStart and
    ///   ValidateService run again, then its health check and traffic hooks; the targets
    ///   not yet switched switch in batches as usual; a failure switches all back;
    /// - it was already failing somewhere: every target still on the release switches back;
    /// - another deploy or rollback touched a target since: `.undecided`.
    public func resume(_ artifact: ArtifactRecord, to hosts: [any ReleaseHost], begunAt since: Date) -> Resumption {
        var found: [Found] = []
        for host in hosts {
            do {
                found.append(try Self.find(artifact.digest, since: since, records: try host.records(), current: try host.current()))
            } catch let reason as Undecided {
                return .undecided("\(host.name): \(reason.text)")
            } catch {
                return .undecided("\(host.name): cannot read its journal: \(message(error))")
            }
        }
        guard found.contains(where: \.wentLive) else {
            for (host, state) in zip(hosts, found) {
                if case let .notSwitched(release, _) = state {
                    try? host.append(JournalRecord(event: .bad, release: release, note: "its deploy stopped before the switch; deployed again"))
                }
            }
            return .redeploy
        }
        let failing = found.contains(where: \.failing)
        let runs = hosts.map { HostDeployment(host: $0, options: options, events: events) }
        defer { runs.forEach { $0.finish(store: store) } }
        for (run, state) in zip(runs, found) {
            do {
                switch state {
                case .absent:
                    return .undecided("\(run.host.name): the release other targets switched to was never made here")
                case let .notSwitched(release, prepared):
                    guard prepared || failing else {
                        return .undecided("\(run.host.name): releases/\(release) was never prepared, yet other targets switched to it")
                    }
                    try run.adopt(release: release, previous: try run.host.current(), live: false)
                case let .live(release, previous):
                    try run.adopt(release: release, previous: previous, live: true)
                case let .failed(release, previous, current):
                    try run.adopt(release: release, previous: previous, live: current == release)
                }
            } catch {
                // Taking the target over failed (its lock is held, it is unreachable): nothing
                // was changed by this resume, so a person decides.
                return .undecided("\(run.host.name): \(message(error))")
            }
        }
        if failing {
            for run in runs.reversed() { run.revert(reason: "the deploy was failing when its process stopped") }
            return .finished(result(runs, error: "the deploy was failing when its process stopped; switched back"))
        }
        // Already switched targets first: they are live, so they are confirmed before others switch.
        let ordered = runs.filter(\.switched) + runs.filter { !$0.switched }
        let size = (try? options.batchSize(for: runs.count)) ?? 1
        return .finished(result(runs, error: rollout(ordered, batchSize: size)))
    }

    private struct Undecided: Error { var text: String }

    /// The dead deploy's release on one target: the newest `created` record of the artifact
    /// since the deploy began, and what happened to it. A switch or a new release by anyone
    /// else after it means the target moved on.
    static func find(_ digest: Digest, since: Date, records: [JournalRecord], current: String?) throws -> Found {
        // Journal times come from the deploying machine's clock, as the run's times do.
        guard let index = records.lastIndex(where: { $0.event == .created && $0.artifact == digest && $0.time >= since.addingTimeInterval(-1) }) else {
            if let moved = records.last(where: { $0.event == .switched && $0.time >= since }) {
                throw Undecided(text: "releases/\(moved.release) went live after the deploy began (another deploy or a rollback)")
            }
            return .absent
        }
        let release = records[index].release
        var prepared = false, bad = false, switchedTo: JournalRecord?, switchedBack = false
        for record in records[(index + 1)...] {
            switch record.event {
            case .prepared where record.release == release: prepared = true
            case .bad where record.release == release: bad = true
            case .switched where record.release == release: switchedTo = record
            case .switched where record.previous == release && switchedTo != nil && record.note?.hasPrefix("automatic rollback") == true:
                switchedBack = true
            case .switched, .created:
                throw Undecided(text: "releases/\(record.release) came after releases/\(release) (another deploy or a rollback)")
            default: break
            }
        }
        guard let switchedTo else {
            return bad ? .failed(release: release, previous: current, current: current) : .notSwitched(release: release, prepared: prepared)
        }
        if bad || switchedBack || current != release {
            return .failed(release: release, previous: switchedTo.previous, current: current)
        }
        return .live(release: release, previous: switchedTo.previous)
    }
}
