import Artifacts
import Deploy
import Foundation
import ObjectStorage
import SlipwayCore

/// `slipway rollback --target s3://…`: re-points the site to an earlier release in the
/// deploy's order (assets, pages, then retirement with the grace period), copying content on
/// the server from what the bucket kept (`.slipway/objects/`) and uploading from this
/// machine's store only what it no longer keeps. No hooks run: the earlier release's bundle
/// need not be on this machine.
public struct SiteRollback: Sendable {
    public let target: SiteTarget
    /// Where an artifact is looked for when the bucket no longer keeps a file.
    public let store: ArtifactStore?
    public var options: SiteDeployOptions
    public let events: DeployEventSink

    public init(target: SiteTarget, store: ArtifactStore?, options: SiteDeployOptions = SiteDeployOptions(),
                events: @escaping DeployEventSink = { _ in }) {
        self.target = target
        self.store = store
        self.options = options
        self.events = events
    }

    public func run(to requested: String? = nil) async throws -> SiteResult {
        let lock = try await SiteLock.acquire(target, purpose: "rollback", wait: options.lockWait)
        return try await withCleanup { try await rollBack(to: requested, lock: lock) } cleanup: { await lock.release() }
    }

    private func rollBack(to requested: String?, lock: SiteLock) async throws -> SiteResult {
        let name = target.description
        var state = try await target.state()
        guard !state.records.isEmpty else {
            throw SlipwayError.notFound("\(name) is not a deploy target: nothing was ever deployed there (no .slipway/state.json at S3 endpoint \(target.client.endpointName))")
        }
        if let holder = lock.tookOver {
            state.records.append(JournalRecord(event: .lockTakenOver, release: state.current ?? "", note: holder))
        }
        try await target.reconcile(&state, events: events)
        let history = state.history
        let known = history.ordered.filter { $0.state != .pruned }
        let chosen: String
        if let requested {
            guard let match = Rollback.match(requested, in: known.map(\.id)) else {
                throw SlipwayError.notFound("\(name): no release '\(requested)' kept; see `slipway releases --target \(name)`")
            }
            guard history.releases[match]?.state != .created else {
                throw SlipwayError.badInput("\(name): release \(match) never went live; it cannot be rolled back to")
            }
            if history.releases[match]?.state == .bad {
                events(DeployEvent(host: name, kind: .warning, text: "release \(match) was marked bad; rolling back to it as asked"))
            }
            chosen = match
        } else {
            guard let candidate = history.rollbackCandidate(from: state.current) else {
                throw SlipwayError.notFound("\(name): no earlier good release to roll back to")
            }
            chosen = candidate
        }
        let previous = state.current
        guard let manifest = try await target.manifest(chosen) else {
            throw SlipwayError.notFound("\(name): release \(chosen) has no manifest in the bucket (.slipway/releases/\(chosen).json)")
        }
        state.restoreRetired(manifest.files)
        let plan = SitePlan(live: state.live, release: manifest.files)
        if chosen == previous && plan.isEmpty {
            return SiteResult(target: name, release: chosen, previous: previous, status: "unchanged", uploaded: 0, copied: 0,
                              unchanged: plan.unchanged, retired: 0, deleted: 0)
        }
        var change = SiteChange(target: target, root: nil, kept: state.kept, events: events)
        // What the bucket no longer keeps comes from the release's artifact, if this machine has it.
        var bundle: SiteBundle?
        do {
            try change.checkSources(plan, release: chosen)
        } catch let missing as SlipwayError {
            guard let store, let digest = manifest.artifact.flatMap({ try? Digest(parsing: $0) }), let record = try? store.record(digest) else { throw missing }
            events(DeployEvent(host: name, kind: .step, text: "uploading what the bucket no longer keeps from artifact \(digest.short)"))
            let opened = try await onOwnThread { [events] in try SiteBundle(record, store: store, appspecOverride: nil, events: events, host: name) }
            bundle = opened
            change = SiteChange(target: target, root: opened.siteRoot, kept: change.kept.withLock { $0 }, events: events)
        }
        events(DeployEvent(host: name, kind: .step, text: "rolling back to release \(chosen): \(plan.assets.count) asset(s) and \(plan.pages.count) page(s) to write, "
                           + "\(plan.unchanged) unchanged, \(plan.retire.count) to retire"))
        var counts = SiteChange.Counts()
        try await change.begin(plan, release: chosen, state: &state)
        try await change.write(plan, state: &state, counts: &counts)
        state.records.append(JournalRecord(event: .switched, release: chosen, previous: previous, note: "rollback"))
        state.current = chosen
        try await target.save(state)
        try await change.deleteDue(state: &state, grace: options.grace, counts: &counts)
        state.inFlight = nil
        try await target.save(state)
        withExtendedLifetime(bundle) {}
        return SiteResult(target: name, release: chosen, previous: previous, status: "succeeded", uploaded: counts.uploaded, copied: counts.copied,
                          unchanged: counts.unchanged, retired: counts.retired, deleted: counts.deleted)
    }
}
