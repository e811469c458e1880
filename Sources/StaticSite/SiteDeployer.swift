import Artifacts
import Deploy
import Foundation
import ObjectStorage
import SlipwayCore
import Specs

/// Everything about a site deploy besides the artifact and the target.
public struct SiteDeployOptions: ReleaseSettings, Sendable {
    /// Seconds an object the live release no longer has stays before it is deleted, so pages
    /// already open in a browser keep finding their assets (a later deploy or rollback deletes it).
    public var grace: TimeInterval = 600
    /// Releases kept besides current and previous (older manifests and kept objects go).
    public var keep = 5
    public var health: HealthCheck?
    public var healthPolicy = HealthCheck.Policy()
    public var lockWait: TimeInterval = 0
    public var applicationName: String?
    public var deploymentGroup = "default"
    /// Variables the hooks and the health command get (a pipeline stage's `environment`).
    public var environment: [String: String] = [:]
    public var appspecOverride: (name: String, text: String)?
    public var commit: String?

    public init() {}
}

/// What a site deploy or rollback did (`--json`).
public struct SiteResult: Codable, Sendable, Equatable {
    public var target: String
    /// The release now live.
    public var release: String
    public var previous: String?
    /// `succeeded`, or `unchanged` for a rollback to the release already live.
    public var status: String
    /// Objects sent from this machine, copied on the server (from kept content), left as
    /// they were, retired (waiting out the grace period), and deleted.
    public var uploaded: Int
    public var copied: Int
    public var unchanged: Int
    public var retired: Int
    public var deleted: Int
}

/// Deploys an artifact to an S3 target as a static site (see `SiteTarget` for the layout and
/// docs/deploy.md for the order and the hooks).
public struct SiteDeployer: Sendable {
    public let target: SiteTarget
    public let store: ArtifactStore
    public var options: SiteDeployOptions
    public let events: DeployEventSink

    public init(target: SiteTarget, store: ArtifactStore, options: SiteDeployOptions = SiteDeployOptions(),
                events: @escaping DeployEventSink = { _ in }) {
        self.target = target
        self.store = store
        self.options = options
        self.events = events
    }

    /// Events an S3 target has nothing to run for: no process to stop or start, no instance
    /// to take out of a load balancer.
    static let notRun: [LifecycleEvent] = [.beforeBlockTraffic, .afterBlockTraffic, .applicationStop, .applicationStart]

    public func deploy(_ artifact: ArtifactRecord) async throws -> SiteResult {
        let name = target.description
        let bundle = try await onOwnThread { [store, options, events] in
            try SiteBundle(artifact, store: store, appspecOverride: options.appspecOverride, events: events, host: name)
        }
        if let spec = bundle.appspec {
            let skipped = Self.notRun.filter { !spec.scripts(for: $0).isEmpty }
            if !skipped.isEmpty {
                events(DeployEvent(host: name, kind: .warning,
                                   text: "\(skipped.map(\.rawValue).joined(separator: ", ")) not run: an S3 target has no process to stop or start and no load balancer"))
            }
        }
        let lock = try await SiteLock.acquire(target, purpose: "deploy of \(artifact.digest.short)", wait: options.lockWait)
        return try await withCleanup { try await deploy(artifact, bundle: bundle, lock: lock) } cleanup: { await lock.release() }
    }

    private func deploy(_ artifact: ArtifactRecord, bundle: SiteBundle, lock: SiteLock) async throws -> SiteResult {
        let name = target.description
        var state = try await target.state()
        if let holder = lock.tookOver {
            state.records.append(JournalRecord(event: .lockTakenOver, release: state.current ?? "", note: holder))
            events(DeployEvent(host: name, kind: .warning, text: "took over the lock of a deploy that is gone (\(holder))"))
        }
        try await target.reconcile(&state, events: events)
        let previous = state.current
        let id = ReleaseID.make(sequence: state.history.nextSequence, time: Date(), digest: artifact.digest)
        let context = hookContext(id, bundle: bundle)
        try await runHooks(.beforeInstall, bundle: bundle, context: context)

        let manifest = SiteManifest(release: id, artifact: artifact.digest.description, commit: options.commit, files: bundle.files)
        try await target.save(manifest)
        state.records.append(JournalRecord(event: .created, release: id, artifact: artifact.digest, commit: options.commit))
        let plan = SitePlan(live: state.live, release: bundle.files)
        events(DeployEvent(host: name, kind: .step, text: "release \(id): \(plan.assets.count) asset(s) and \(plan.pages.count) page(s) to write, "
                           + "\(plan.unchanged) unchanged, \(plan.retire.count) to retire"))
        let change = SiteChange(target: target, root: bundle.siteRoot, kept: state.kept, events: events)
        var counts = SiteChange.Counts()
        try await change.begin(plan, release: id, state: &state)
        do {
            try await change.write(plan, state: &state, counts: &counts) {
                try await runHooks(.afterInstall, bundle: bundle, context: context)
            }
            state.records.append(JournalRecord(event: .prepared, release: id))
            state.records.append(JournalRecord(event: .switched, release: id, previous: previous))
            state.current = id
            // Recorded before anything may fail after the switch; otherwise the final save does it.
            if options.health != nil || [LifecycleEvent.validateService, .beforeAllowTraffic, .afterAllowTraffic].contains(where: { !(bundle.appspec?.scripts(for: $0).isEmpty ?? true) }) {
                try await target.save(state)
            }
            try await runHooks(.validateService, bundle: bundle, context: context)
            try await healthCheck(context)
            try await runHooks(.beforeAllowTraffic, bundle: bundle, context: context)
            try await runHooks(.afterAllowTraffic, bundle: bundle, context: context)
        } catch {
            throw await switchBack(from: id, to: previous, state: &state, change: change, error: error)
        }
        try await change.deleteDue(state: &state, grace: options.grace, counts: &counts)
        state.inFlight = nil
        try await target.save(state)
        try await prune(&state)
        events(DeployEvent(host: name, kind: .step, text: "release \(id) is live: \(counts.uploaded) uploaded, \(counts.copied) copied on the server, "
                           + "\(counts.unchanged) unchanged, \(counts.retired) retired, \(counts.deleted) deleted"))
        return SiteResult(target: name, release: id, previous: previous, status: "succeeded", uploaded: counts.uploaded, copied: counts.copied,
                          unchanged: counts.unchanged, retired: counts.retired, deleted: counts.deleted)
    }

    /// After a failure once writing began: the site goes back to the release that was live
    /// (in the same order: assets, pages, then retirement), the new release is marked bad,
    /// and the error says what the site serves now.
    private func switchBack(from id: String, to previous: String?, state: inout SiteState, change: SiteChange, error: any Error) async -> SlipwayError {
        let failure = SlipwayError.wrapping(error, "\(target): release \(id) failed", otherwise: .failed)
        do {
            try await target.reconcile(&state, events: events)
            state.records.append(JournalRecord(event: .bad, release: id, note: failure.message))
            guard let previous, let manifest = try await target.manifest(previous) else {
                state.current = nil
                try await target.save(state)
                return SlipwayError.failed(failure.description + "; no earlier release to switch back to: the site keeps what was written")
            }
            events(DeployEvent(host: target.description, kind: .step, text: "switching back to release \(previous)"))
            state.restoreRetired(manifest.files)
            let plan = SitePlan(live: state.live, release: manifest.files)
            var counts = SiteChange.Counts()
            try await change.begin(plan, release: previous, state: &state)
            try await change.write(plan, state: &state, counts: &counts)
            state.records.append(JournalRecord(event: .switched, release: previous, previous: id, note: "switched back"))
            state.current = previous
            state.inFlight = nil
            try await target.save(state)
            return SlipwayError.failed(failure.description + "; switched back to release \(previous)")
        } catch let second {
            return SlipwayError.failed(failure.description + "; switching back failed too (\(SlipwayError.wrapping(second, "switch back").description)): "
                                       + "the next deploy or rollback finishes it")
        }
    }

    private func hookContext(_ id: String, bundle: SiteBundle) -> HookContext {
        // The AWS tools in a hook (a CDN invalidation) reach the same store as the deploy.
        var variables = ProcessInfo.processInfo.environment.filter { $0.key.hasPrefix("AWS_") }
        variables.merge(options.environment) { $1 }
        variables["SLIPWAY_TARGET"] = target.description
        variables["SITE_BUCKET"] = target.location.bucket
        variables["SITE_PREFIX"] = target.location.prefix
        variables["S3_ENDPOINT"] = target.client.settings.endpoint.absoluteString
        return HookContext(deploymentID: id, applicationName: options.applicationName ?? target.location.bucket,
                           deploymentGroupName: options.deploymentGroup, deploymentGroupID: SHA256Stream.hex(of: Data(target.description.utf8)).prefix(16).description,
                           releasePath: bundle.siteRoot, previousReleasePath: "", variables: variables)
    }

    /// Hooks run on this machine, in the unpacked bundle.
    private func runHooks(_ event: LifecycleEvent, bundle: SiteBundle, context: HookContext) async throws {
        guard let scripts = bundle.appspec?.scripts(for: event), !scripts.isEmpty else { return }
        let runner = HookRunner(host: target.description, events: events)
        let root = bundle.root
        try await onOwnThread { try runner.run(event, scripts: scripts, bundle: root, context: context) }
    }

    private func healthCheck(_ context: HookContext) async throws {
        guard let health = options.health else { return }
        let policy = options.healthPolicy
        let environment = context.environment(for: .validateService)
        try await onOwnThread {
            let deadline = Date().addingTimeInterval(policy.deadline)
            var tries = 0
            while true {
                tries += 1
                let problem: String?
                switch health {
                case let .http(url):
                    switch HTTPProbe.get(url, timeout: policy.requestTimeout) {
                    case let .success(code): problem = (200..<400).contains(code) ? nil : "\(url) answered \(code)"
                    case let .failure(error): problem = error.description
                    }
                case let .command(command):
                    var env = Command.baseEnvironment()
                    env.merge(environment) { $1 }
                    let ending = try Command(["/bin/sh", "-c", command], environment: env).runLines(timeout: policy.requestTimeout + 30, grace: 1) { _, _ in }
                    problem = ending.status == 0 ? nil : "\(command) " + (ending.status.map { "exited with status \($0)" } ?? "timed out")
                }
                guard let problem else { return }
                if Date().addingTimeInterval(policy.interval) >= deadline {
                    throw SlipwayError.failed("health check failed: \(problem) (\(tries) tries in \(Int(policy.deadline)) s)")
                }
                usleep(UInt32(policy.interval * 1_000_000))
            }
        }
    }

    /// Keeps the newest `keep` good releases besides current (and the newest bad one); the
    /// others' manifests go, and kept content no remaining release, live or retired object uses.
    func prune(_ state: inout SiteState) async throws {
        let history = state.history
        let all = history.ordered
        let good = all.filter { $0.state == .published && $0.id != state.current }
        var keepIDs = Set(good.suffix(options.keep).map(\.id))
        if let current = state.current { keepIDs.insert(current) }
        if let candidate = history.rollbackCandidate(from: state.current) { keepIDs.insert(candidate) }
        if let bad = all.last(where: { $0.state == .bad }) { keepIDs.insert(bad.id) }
        let drop = all.filter { !keepIDs.contains($0.id) && $0.state != .pruned && $0.state != .created }
        // Kept content is preserved for the releases kept: it becomes unused only when one goes.
        guard !drop.isEmpty else { return }
        for release in drop {
            try await target.client.delete(target.manifestKey(release.id))
            state.records.append(JournalRecord(event: .pruned, release: release.id))
        }
        var used = Set(state.live.values.map(\.sha256)).union(state.retired.map(\.file.sha256))
        for id in keepIDs {
            if let manifest = try await target.manifest(id) { used.formUnion(manifest.files.map(\.sha256)) }
        }
        let unused = state.kept.subtracting(used)
        let change = SiteChange(target: target, root: nil, kept: [], events: events)
        try await change.forEach(Array(unused)) { sha in try await target.client.delete(target.objectKey(sha)) }
        state.kept.subtract(unused)
        try await target.save(state)
    }
}

/// Runs blocking work (unpacking, hashing, hooks) on a thread of its own, off the
/// cooperative pool.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}
