import Artifacts
import Foundation
import SlipwayCore
import Specs

/// One host's part of a deployment, from lock to prune. The multi-host `Deployer` drives
/// several of these: `prepare` on all (nothing live yet), then `activate` batch by batch, and
/// `revert` on every switched host when one fails.
final class HostDeployment: @unchecked Sendable {
    // @unchecked: each instance is only touched by one thread at a time (prepare runs hosts
    // in parallel, one instance per thread; everything after is sequential).
    let host: any ReleaseHost
    let options: DeployOptions
    let events: DeployEventSink
    private(set) var lock: (any HostLock)?
    private(set) var previous: String?
    private(set) var id = ""
    private(set) var spec = AppSpec()
    private(set) var switched = false
    /// The live release's appspec (read in `prepare`): its traffic and stop hooks run before
    /// the switch, and it is what comes back on a revert.
    private(set) var previousSpec: AppSpec?
    /// How far `activate` took the live release out of service, so `revert` knows what to undo.
    private var trafficBlocked = false
    private var previousStopped = false
    /// The drain command ran and no undrain has succeeded since: the host is (or may be) out
    /// of the load balancer's rotation.
    private(set) var drained = false
    /// The new release went through BeforeAllowTraffic, the undrain and AfterAllowTraffic:
    /// switching it back takes it out of service first.
    private var inService = false
    private(set) var prepared = false
    private(set) var status = HostOutcome.Status.failed
    var failure: String?

    init(host: any ReleaseHost, options: DeployOptions, events: @escaping DeployEventSink) {
        self.host = host
        self.options = options
        self.events = events
    }

    func step(_ text: String) { events(DeployEvent(host: host.name, kind: .step, text: text)) }

    /// Takes the lock and cleans what a crashed deploy left.
    func begin() throws {
        try host.prepareLayout()
        let lock = try host.lock(purpose: "deploy", wait: options.lockWait)
        self.lock = lock
        if let stale = lock.staleOwner {
            events(DeployEvent(host: host.name, kind: .warning, text: "took over the lock of a deploy that died (\(stale))"))
            try host.append(JournalRecord(event: .lockTakenOver, release: "-", note: stale))
        }
        try host.sweep()
        previous = try host.current()
    }

    var context: HookContext {
        HookContext(deploymentID: id, applicationName: options.applicationName ?? (host.layout.root as NSString).lastPathComponent,
                    deploymentGroupName: options.deploymentGroup,
                    deploymentGroupID: targetKey,
                    releasePath: host.layout.release(id), previousReleasePath: previous.map(host.layout.release) ?? "",
                    variables: options.environment)
    }

    /// Unpacks, lays out and runs BeforeInstall and AfterInstall; the live release is not
    /// touched yet (its stop and traffic hooks run in `activate`, host by host).
    func prepare(id: String, artifact: ArtifactRecord, store: ArtifactStore) throws {
        self.id = id
        try host.append(JournalRecord(event: .created, release: id, artifact: artifact.digest, commit: artifact.provenance.sourceCommit))
        try store.addReference(kind: "releases", name: releaseReference(id), digest: artifact.digest)
        step("unpacking \(artifact.shortDigest) into releases/\(id)")
        let staged = try host.stage(artifact, from: store, id: id)
        let source = options.appspecOverride ?? staged.appspec
        if let source {
            let parsed = AppSpec.parse(contents: source.text, file: source.name)
            for d in parsed.diagnostics where d.severity == .warning {
                events(DeployEvent(host: host.name, kind: .warning, text: d.description))
            }
            guard let spec = parsed.spec else {
                throw SlipwayError.badInput("the appspec is invalid:\n" + parsed.diagnostics.filter { $0.severity == .error }.map(\.description).joined(separator: "\n"))
            }
            self.spec = spec
            try host.saveAppSpec(source.text, id: id)
        } else {
            events(DeployEvent(host: host.name, kind: .warning, text: "the artifact has no appspec.yml: installing it as it is, with no hooks"))
        }
        let plan = try InstallPlan(spec: spec, appRoot: options.appRoot ?? host.layout.root)
        try checkRunAs()
        if let previous, let text = host.loadAppSpec(id: previous) {
            previousSpec = AppSpec.parse(contents: text, file: "releases/\(previous) appspec").spec
        }
        try host.runHooks(.beforeInstall, scripts: spec.scripts(for: .beforeInstall), bundle: staged.root, context: context)
        try host.install(staged, id: id, plan: plan)
        try host.runHooks(.afterInstall, scripts: spec.scripts(for: .afterInstall), bundle: host.bundlePath(id: id), context: context)
        try host.append(JournalRecord(event: .prepared, release: id))
        prepared = true
        status = .notSwitched
    }

    /// Every `runas` of the release's hooks is checked on the host before any hook runs, so
    /// one the host cannot honour fails while nothing is switched anywhere, naming the hook.
    func checkRunAs() throws {
        var checked: Set<String> = []
        for event in LifecycleEvent.allCases {
            for script in spec.scripts(for: event) {
                guard let user = script.runas, !user.isEmpty, checked.insert(user).inserted else { continue }
                do { try host.checkRunAs(user) } catch {
                    throw SlipwayError.failed("\(event.rawValue): \(script.location): \(message(error))")
                }
            }
        }
    }

    /// Takes over a release that a deploy which died left on this host, prepared or already
    /// live (switched to, not yet confirmed): the lock, the release's appspec and the one it
    /// replaces, so `activate`, `confirm` and `revert` carry on where that deploy stopped.
    func adopt(release: String, previous: String?, live: Bool) throws {
        try host.prepareLayout()
        let lock = try host.lock(purpose: "deploy (resumed)", wait: options.lockWait)
        self.lock = lock
        if let stale = lock.staleOwner {
            try host.append(JournalRecord(event: .lockTakenOver, release: "-", note: stale))
        }
        try host.sweep()
        id = release
        self.previous = previous
        if let text = host.loadAppSpec(id: release), let parsed = AppSpec.parse(contents: text, file: "releases/\(release) appspec").spec {
            spec = parsed
        }
        if let previous, let text = host.loadAppSpec(id: previous) {
            previousSpec = AppSpec.parse(contents: text, file: "releases/\(previous) appspec").spec
        }
        prepared = true
        // A live release was switched to after the previous one was taken out of service.
        switched = live
        trafficBlocked = live
        previousStopped = live
        status = live ? .live : .notSwitched
    }

    /// Runs ApplicationStart and ValidateService again on a release a dead deploy switched to
    /// (the dead deploy may have stopped anywhere in them; they are meant to be repeatable).
    func confirm() throws {
        try run([.applicationStart, .validateService], of: id, spec: spec, context: context)
        status = .live
    }

    /// Takes the host out of service in CodeDeploy's order (the live release's
    /// BeforeBlockTraffic, the drain command, the live release's AfterBlockTraffic and
    /// ApplicationStop), switches to the prepared release and runs its ApplicationStart and
    /// ValidateService. Stopping only here, right before the switch, keeps the old release
    /// serving while the new one installs.
    func activate() throws {
        trafficBlocked = true
        if let previous, let old = previousSpec { try run([.beforeBlockTraffic], of: previous, spec: old, context: context) }
        try drain(context)
        if let previous, let old = previousSpec {
            try run([.afterBlockTraffic], of: previous, spec: old, context: context)
            previousStopped = true
            try run([.applicationStop], of: previous, spec: old, context: context)
        }
        step("switching current to releases/\(id)")
        try host.switchTo(id)
        switched = true
        try host.append(JournalRecord(event: .switched, release: id, previous: previous))
        try run([.applicationStart, .validateService], of: id, spec: spec, context: context)
        status = .live
    }

    /// Puts the host back in service once the new release is healthy: its BeforeAllowTraffic,
    /// the undrain command, its AfterAllowTraffic.
    func allowTraffic() throws {
        try run([.beforeAllowTraffic], of: id, spec: spec, context: context)
        try undrain(context)
        try run([.afterAllowTraffic], of: id, spec: spec, context: context)
        inService = true
    }

    /// Records that this host failed its own step (not another host's): it did not go live.
    func fail(_ reason: String) {
        failure = reason
        if !switched { status = .failed }
    }

    /// Runs the drain command (none: nothing to do).
    func drain(_ context: HookContext) throws {
        guard options.traffic.drain != nil else { return }
        drained = true
        try options.traffic.run(.block, host: host, context: context, events: events)
    }

    /// Runs the undrain command (none: nothing to do).
    func undrain(_ context: HookContext) throws {
        try options.traffic.run(.allow, host: host, context: context, events: events)
        drained = false
    }

    /// Why a host left out of rotation is, for a warning.
    private var rotationNote: String {
        drained ? "; it stays out of the load balancer's rotation (drained) until a deploy or rollback succeeds on it" : ""
    }

    /// The health check after ValidateService.
    func checkHealth() throws {
        guard let health = options.health else { return }
        step("health check")
        try runHealthCheck(health, on: host, release: id, policy: options.healthPolicy, environment: options.environment)
    }

    /// Marks the new release bad and, if it went live, switches back to the previous one and
    /// restarts it. Best effort: it reports what it could not do.
    func revert(reason: String) {
        failure = failure ?? reason
        guard !id.isEmpty else { return }
        if trafficBlocked || switched {
            // A host that does not answer is left as it is (and out of rotation, if it was
            // taken out): putting a host in an unknown state back into service could serve errors.
            do { _ = try host.current() } catch {
                if status == .live { status = .failed }
                events(DeployEvent(host: host.name, kind: .warning, text: "cannot reach the host to switch it back: \(message(error))\(rotationNote)"))
                return
            }
        }
        try? host.append(JournalRecord(event: .bad, release: id, note: reason))
        guard switched else {
            if status == .live { status = .failed }
            // The switch never happened, but the live release may have been stopped or taken
            // out of service on the way: bring it back.
            if trafficBlocked {
                do {
                    if let previous {
                        if previousStopped { try restart(previous, reverting: id) }
                        try allowTraffic(to: previous, reverting: id)
                    } else if drained {
                        try undrain(context)
                    }
                } catch {
                    events(DeployEvent(host: host.name, kind: .warning, text: "bringing \(previous.map { "releases/" + $0 } ?? "the host") back into service failed: \(error)\(rotationNote)"))
                }
            }
            return
        }
        status = .failed
        guard let previous else {
            events(DeployEvent(host: host.name, kind: .warning, text: "first deploy failed after the switch: no earlier release to go back to, so current still names \(id)"))
            return
        }
        if inService {
            // The new release was back in service: out of it first, as for any switch.
            do {
                try run([.beforeBlockTraffic], of: id, spec: spec, context: context)
                try drain(context)
                try run([.afterBlockTraffic, .applicationStop], of: id, spec: spec, context: context)
            } catch {
                events(DeployEvent(host: host.name, kind: .warning, text: "taking releases/\(id) out of service failed: \(error); switching back anyway"))
            }
            inService = false
        } else if !drained, options.traffic.drain != nil {
            // Its AfterAllowTraffic failed after the undrain.
            do { try drain(context) } catch {
                events(DeployEvent(host: host.name, kind: .warning, text: "draining before the switch back failed: \(error); switching back anyway"))
            }
        }
        do {
            step("switching back to releases/\(previous)")
            try host.switchTo(previous)
            switched = false
            status = .reverted
            try host.append(JournalRecord(event: .switched, release: previous, previous: id, note: "automatic rollback: \(reason)"))
            try restart(previous, reverting: id)
            try allowTraffic(to: previous, reverting: id)
        } catch {
            events(DeployEvent(host: host.name, kind: .warning, text: "switching back failed: \(error)\(rotationNote)"))
        }
    }

    /// Runs a release's ApplicationStart and ValidateService after a switch back to it.
    func restart(_ release: String, reverting from: String) throws {
        try run([.applicationStart, .validateService], ofStored: release, reverting: from)
    }

    /// Puts a release back in service: its BeforeAllowTraffic, the undrain command, its
    /// AfterAllowTraffic.
    func allowTraffic(to release: String, reverting from: String) throws {
        try run([.beforeAllowTraffic], ofStored: release, reverting: from)
        try undrain(storedContext(release, reverting: from))
        try run([.afterAllowTraffic], ofStored: release, reverting: from)
    }

    /// Takes a release out of service before a rollback switches away from it: its
    /// BeforeBlockTraffic, the drain command, its AfterBlockTraffic and ApplicationStop.
    func stop(_ release: String, for target: String) throws {
        try run([.beforeBlockTraffic], ofStored: release, reverting: target)
        try drain(storedContext(release, reverting: target))
        try run([.afterBlockTraffic, .applicationStop], ofStored: release, reverting: target)
    }

    /// What hooks of an installed release (not the one this deploy installs) are told.
    private func storedContext(_ release: String, reverting from: String) -> HookContext {
        HookContext(deploymentID: release, applicationName: context.applicationName,
                    deploymentGroupName: context.deploymentGroupName, deploymentGroupID: context.deploymentGroupID,
                    releasePath: host.layout.release(release), previousReleasePath: host.layout.release(from),
                    variables: options.environment)
    }

    /// Runs `events` from an installed release's stored appspec (none stored: nothing to run).
    private func run(_ lifecycle: [LifecycleEvent], ofStored release: String, reverting from: String) throws {
        guard let text = host.loadAppSpec(id: release), let spec = AppSpec.parse(contents: text, file: "appspec").spec else { return }
        try run(lifecycle, of: release, spec: spec, context: storedContext(release, reverting: from))
    }

    private func run(_ lifecycle: [LifecycleEvent], of release: String, spec: AppSpec, context: HookContext) throws {
        for event in lifecycle {
            try host.runHooks(event, scripts: spec.scripts(for: event), bundle: host.bundlePath(id: release), context: context)
        }
    }

    /// Names this target (host and path) in ids and references: stable across deploys.
    var targetKey: String { String(SHA256Stream.hex(of: Data((host.name + ":" + host.layout.root).utf8)).prefix(16)) }

    /// The store reference that keeps a release's artifact from garbage collection while the
    /// release is on this target's disk.
    func releaseReference(_ release: String) -> String { targetKey + "--" + release }

    /// Prunes old releases (and their store references) and releases the lock.
    func finish(store: ArtifactStore? = nil) {
        if lock != nil {
            do {
                for pruned in try ReleasePruner(host: host, keep: options.keep, events: events).prune() {
                    store?.removeReference(kind: "releases", name: releaseReference(pruned))
                }
            } catch {
                events(DeployEvent(host: host.name, kind: .warning, text: "pruning failed: \(error)"))
            }
        }
        lock?.release()
        lock = nil
    }

    var outcome: HostOutcome {
        HostOutcome(host: host.name, status: status, release: id.isEmpty ? nil : id, previous: previous,
                    current: (try? host.current()) ?? nil, error: failure)
    }
}

/// Runs one health check with retries until its deadline.
func runHealthCheck(_ health: HealthCheck, on host: any ReleaseHost, release: String, policy: HealthCheck.Policy,
                    environment: [String: String]) throws {
    switch health {
    case .http(let url):
        let resolved = url.replacingOccurrences(of: "{host}", with: host.healthHost)
        try HealthCheck.retry(policy, what: "GET \(resolved)") {
            switch HTTPProbe.get(resolved, timeout: policy.requestTimeout) {
            case .success(let code) where (200..<400).contains(code): return nil
            case .success(let code): return "status \(code)"
            case .failure(let error): return error.description
            }
        }
    case .command(let command):
        try HealthCheck.retry(policy, what: "`\(command)`") {
            host.healthCommand(command, releasePath: host.layout.release(release), environment: environment)
        }
    }
}
