import Artifacts
import Foundation
import SlipwayCore
import Synchronization

/// Deploys an artifact to one or more targets.
///
/// Every host is locked and prepared first (unpacked, laid out, BeforeInstall and
/// AfterInstall); nothing live is touched until all are ready. Then hosts switch in batches, each batch health-checked;
/// the first failure stops the rollout and switches every already-switched host back.
public struct Deployer: Sendable {
    public let store: ArtifactStore
    public let options: DeployOptions
    public let events: DeployEventSink

    public init(store: ArtifactStore, options: DeployOptions = DeployOptions(), events: @escaping DeployEventSink = { _ in }) {
        self.store = store
        self.options = options
        self.events = events
    }

    /// Deploys `artifact` to `hosts`; never throws for a failed deploy (the result says what
    /// happened on each host), only for bad input found before anything changed.
    public func deploy(_ artifact: ArtifactRecord, to hosts: [any ReleaseHost]) -> DeployResult {
        let runs = hosts.map { HostDeployment(host: $0, options: options, events: events) }
        defer { runs.forEach { $0.finish(store: store) } }
        // Held until every host has its copy: garbage collection leaves it alone meanwhile.
        let hold: ArtifactUse
        do { hold = try store.use(artifact.digest) } catch {
            return result(runs, error: "\(artifact.digest): \(message(error))")
        }
        defer { withExtendedLifetime(hold) {} }
        let size: Int
        do { size = try options.batchSize(for: hosts.count) } catch { return result(runs, error: message(error)) }

        // 1. Lock every host; one shared release id from the highest sequence.
        var sequence = 1
        for run in runs {
            do {
                try run.begin()
                sequence = max(sequence, ReleaseHistory(records: try run.host.records()).nextSequence)
            } catch {
                run.failure = message(error)
                return result(runs, error: "\(run.host.name): \(message(error))")
            }
        }
        let id = ReleaseID.make(sequence: sequence, time: Date(), digest: artifact.digest)

        // 2. Prepare all, in parallel (at most 4 at once); nothing is live yet.
        let failures = Mutex<[String]>([])
        let group = DispatchGroup()
        let slots = DispatchSemaphore(value: 4)
        for run in runs {
            slots.wait()
            DispatchQueue.global().async(group: group) {
                defer { slots.signal() }
                do { try run.prepare(id: id, artifact: artifact, store: store) } catch {
                    run.revert(reason: message(error))
                    failures.withLock { $0.append("\(run.host.name): \(message(error))") }
                }
            }
        }
        group.wait()
        if let first = failures.withLock({ $0.first }) {
            for run in runs where run.failure == nil { run.revert(reason: "not switched: preparing another host failed") }
            return result(runs, error: first)
        }

        // 3. Switch in batches; health-check each batch; on failure switch everyone back.
        return result(runs, error: rollout(runs, batchSize: size))
    }

    /// Switches the prepared hosts in batches of `batchSize`, the hosts of a batch in
    /// parallel, each out of rotation from its drain to its undrain (a host a resumed deploy
    /// found already switched is confirmed instead). The first failure stops the rollout: the
    /// switched hosts go back one at a time, newest first (the failed one first), each out of
    /// rotation while it switches, and the release is marked bad on the rest. Returns that
    /// failure, naming the host.
    func rollout(_ runs: [HostDeployment], batchSize: Int) -> String? {
        let size = max(1, batchSize)
        var switched: [HostDeployment] = []
        for start in stride(from: 0, to: runs.count, by: size) {
            let batch = Array(runs[start..<min(start + size, runs.count)])
            switched += batch
            let failures = Mutex<[Int: String]>([:])
            forEachConcurrently(batch) { index, run in
                do {
                    if run.switched { try run.confirm() } else { try run.activate() }
                    try run.checkHealth()
                    try run.allowTraffic()
                } catch {
                    run.fail(message(error))
                    failures.withLock { $0[index] = "\(run.host.name): \(message(error))" }
                }
            }
            let failed = failures.withLock { f in f.keys.min().flatMap { f[$0] } }
            if let failed {
                // The failed hosts first: they are out of rotation already.
                let order = Array(switched.filter { $0.failure != nil }.reversed()) + Array(switched.filter { $0.failure == nil }.reversed())
                for run in order { run.revert(reason: run.failure ?? "switched back: the rollout stopped when another host failed") }
                for run in runs where !switched.contains(where: { $0 === run }) {
                    run.revert(reason: "not switched: the rollout stopped when another host failed")
                }
                return failed
            }
        }
        return nil
    }

    func result(_ runs: [HostDeployment], error: String?) -> DeployResult {
        let outcomes = runs.map(\.outcome)
        let status: String
        if error == nil { status = "succeeded" }
        else if outcomes.contains(where: { $0.status == .reverted }) { status = "rolled-back" }
        else { status = "failed" }
        let first = outcomes.first
        return DeployResult(release: first?.release, status: status, previous: first?.previous,
                            current: first?.current, hosts: outcomes, error: error)
    }
}

func message(_ error: any Error) -> String {
    String(describing: error)
}

/// Runs `body` for each item on its own thread, at most `limit` at once, and returns when
/// all are done (remote steps block on ssh, so they get threads, not the cooperative pool).
func forEachConcurrently<T>(_ items: [T], limit: Int = 4, _ body: @escaping @Sendable (Int, T) -> Void) where T: Sendable {
    guard items.count > 1 else {
        if let only = items.first { body(0, only) }
        return
    }
    let group = DispatchGroup()
    let slots = DispatchSemaphore(value: limit)
    for (index, item) in items.enumerated() {
        slots.wait()
        group.enter()
        Thread.detachNewThread {
            defer { slots.signal(); group.leave() }
            body(index, item)
        }
    }
    group.wait()
}
