import Foundation

/// Keeps a target's disk bounded: the newest `keep` published releases stay, plus `current`,
/// the rollback candidate and the newest bad release (to inspect); older published ones, older
/// bad ones and half-written ones (created or prepared, never switched to, from dead deploys)
/// go. Call with the lock held.
public struct ReleasePruner: Sendable {
    public let host: any ReleaseHost
    public let keep: Int
    public let events: DeployEventSink

    public init(host: any ReleaseHost, keep: Int, events: @escaping DeployEventSink) {
        self.host = host
        self.keep = keep
        self.events = events
    }

    /// The release ids to remove, given the history and what is on disk.
    public static func victims(history: ReleaseHistory, current: String?, onDisk: [String], keep: Int) -> [String] {
        let protected = Set([current, history.rollbackCandidate(from: current)].compactMap { $0 })
        let known = history.ordered.filter { onDisk.contains($0.id) && !protected.contains($0.id) }
        let published = known.filter { $0.state == .published }.reversed()
        let bad = known.filter { $0.state == .bad }.reversed()
        let unfinished = known.filter { $0.state == .created || $0.state == .prepared }
        return Array(published.dropFirst(max(0, keep))).map(\.id) + Array(bad.dropFirst(1)).map(\.id) + unfinished.map(\.id)
    }

    @discardableResult
    public func prune() throws -> [String] {
        let current = try host.current()
        let history = ReleaseHistory(records: try host.records())
        let victims = Self.victims(history: history, current: current, onDisk: try host.releaseDirectories(), keep: keep)
        for id in victims {
            try host.removeRelease(id)
            try host.append(JournalRecord(event: .pruned, release: id))
        }
        if !victims.isEmpty {
            events(DeployEvent(host: host.name, kind: .step, text: "pruned \(victims.count) old release(s)"))
        }
        return victims
    }
}
