import Foundation
import State

/// Who is alive among the owners of runs. A run's owner on this machine is looked up by its pid
/// and start time; one on another machine (services sharing a PostgreSQL database) by its
/// heartbeat: every process that owns runs on PostgreSQL writes its `instance` row every
/// `beatInterval`, and one silent for `ownerSilence` is gone.
///
/// Silence is only judged by a process that has itself reached the database for at least
/// `ownerSilence` without a break: after a database restart every live owner has beaten again
/// by then, so none is taken for dead because the server was away. A process that does not
/// judge (it just started, or lost the database) counts every other machine's owner alive.
extension Orchestrator {
    static let beatInterval: Duration = .seconds(1)
    /// How long another machine's owner may be silent before it counts as gone, in seconds.
    static let ownerSilence: Double = 10

    /// The owners of runs as seen now: the heartbeats, and whether this process judges silence.
    func runOwners() async throws -> RunOwners {
        guard store.dialect == .postgres else { return RunOwners(instances: [:], judgesSilence: true) }
        let instances = try await store.instances()
        let since = reachableSince.withLock { $0 }
        let judges = since.map { ContinuousClock.now - $0 >= .milliseconds(Int64(Self.ownerSilence * 1000)) } ?? false
        return RunOwners(instances: instances, judgesSilence: judges)
    }

    /// Writes this process's heartbeat row once before it owns a run, so no other machine
    /// takes the run for one whose owner is gone.
    func announceOwner() async {
        guard store.dialect == .postgres, !store.isReadOnly else { return }
        let store = store
        let task = firstBeat.withLock { first in
            if let first { return first }
            let made = Task<Void, Never> { _ = try? await store.beat(identity: ProcessIdentity.current, host: ProcessIdentity.hostName) }
            first = made
            return made
        }
        await task.value
    }

    /// Beats every `beatInterval` until cancelled (on PostgreSQL), keeping `reachableSince`:
    /// when the database last came within reach. Its row goes when the process stops (its runs
    /// released by then).
    func beatContinually() async {
        guard store.dialect == .postgres, !store.isReadOnly else { return }
        let store = store
        while !Task.isCancelled {
            do {
                try await store.beat(identity: ProcessIdentity.current, host: ProcessIdentity.hostName)
                reachableSince.withLock { $0 = $0 ?? .now }
            } catch {
                reachableSince.withLock { $0 = nil }
            }
            try? await Task.sleep(for: Self.beatInterval)
        }
    }

    /// Removes this process's heartbeat row (the service stopped, its runs released).
    func retireOwner() async {
        guard store.dialect == .postgres, !store.isReadOnly else { return }
        let store = store
        await Task { try? await store.removeInstance(ProcessIdentity.current) }.value
    }
}

/// The owners of runs at one moment (see `Orchestrator.runOwners`).
struct RunOwners: Sendable {
    let instances: [String: InstanceBeat]
    /// Whether another machine's silent owner may be taken for gone.
    let judgesSilence: Bool

    /// Whether the process owning a run is still running: this machine's by its pid, another
    /// machine's by its heartbeat (one with no heartbeat row is gone: every owner writes its
    /// row before it owns a run).
    func isAlive(_ owner: String) -> Bool {
        if ProcessIdentity.isLocal(owner) { return ProcessIdentity.isAlive(owner) }
        guard judgesSilence else { return true }
        return instances[owner].map { $0.silentFor < Orchestrator.ownerSilence } ?? false
    }

    /// Why a gone owner is gone, for the log and the audit trail.
    func gone(_ owner: String?) -> String {
        guard let owner else { return "the service running it stopped" }
        if ProcessIdentity.isLocal(owner) { return "its process (\(owner)) stopped" }
        if let beat = instances[owner] {
            return "its service (\(owner), host \(beat.host)) went silent \(Int(beat.silentFor)) s ago"
        }
        return "its service (\(owner)) stopped"
    }
}
