import Foundation
import Sandbox
import SlipwayCore
import Specs

extension BuildRunner {
    /// Runs the phases in one sandbox (so files outside the source tree, and background
    /// processes, live from install to post_build), then collects the outputs.
    func execute(_ context: inout BuildContext, events: @escaping @Sendable (BuildEvent) -> Void) throws -> BuildResult {
        let spec = context.spec
        let control = context.controlDirectory
        let nonce = "@@slipway-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let plan = OutputPlan(spec: spec)

        // Build cache: pick the entry before the sandbox starts; it is mounted read-only.
        var cacheUse = CacheUse(result: context.resultCache)
        let cacheStore = BuildCacheStore(home: home, project: context.project)
        let environment = context.variables.dictionary
        let cacheKey = spec.cache.map { VariableExpansion.expand($0.key ?? "default", environment) }
        var restoreEntry: BuildCacheStore.Entry?
        if let cache = spec.cache, cache.restores, !cache.paths.isEmpty {
            restoreEntry = cacheStore.lookup(key: cacheKey,
                                             fallbackKeys: cache.fallbackKeys.map { VariableExpansion.expand($0, environment) })
        }
        let savesCache = spec.cache.map { $0.saves && !$0.paths.isEmpty } ?? false
        if savesCache && !context.request.trustedRef {
            cacheUse.notSaved = "this ref is not trusted to write the shared cache"
        }

        var script = BuildScript(spec: spec, nonce: nonce)
        script.expansions = plan.expansions
        script.restoresCache = restoreEntry != nil
        script.savesCache = savesCache && context.request.trustedRef
        try writeControl(script.files(initialEnvironment: context.variables.ordered), to: control, user: context.user)
        if context.user.uid != 0 {
            for path in [context.workspace] + context.secondarySources.map(\.workspace) {
                try Ownership.change(path, uid: context.user.uid, gid: context.user.gid)
            }
        }

        var sandbox = SandboxSpec(rootfs: context.request.image.rootfs, command: ["/bin/sh", SandboxLayout.controlDirectory + "/driver.sh"])
        sandbox.workspace = context.workspace
        sandbox.workspacePath = SandboxLayout.sourceDirectory
        sandbox.workingDirectory = SandboxLayout.sourceDirectory
        sandbox.binds = [.init(source: control, destination: SandboxLayout.controlDirectory)]
        for (name, path) in context.secondarySources {
            sandbox.binds.append(.init(source: path, destination: SandboxLayout.sourceDirectory + "_" + name))
        }
        if let restoreEntry {
            sandbox.binds.append(.init(source: restoreEntry.tree, destination: SandboxLayout.cacheRestoreDirectory, readOnly: true))
            cacheUse.restoredKey = restoreEntry.key
            context.log.container("Restoring cache '\(restoreEntry.key)'" + (restoreEntry.key == cacheKey ? "" : " (fallback match)"))
        } else if spec.cache?.restores == true, let cacheKey {
            context.log.container("No cache entry matches '\(cacheKey)'")
        }
        sandbox.environment = ["PATH": BuildVariables.defaultPath, "HOME": context.user.home, "TZ": "UTC", "LC_ALL": "C.UTF-8"]
        sandbox.hostname = SandboxLayout.hostname
        sandbox.timeout = context.request.timeout
        var isolation = BuildIsolation(limits: context.request.limits, seccomp: context.request.seccomp)
        isolation.apply(to: &sandbox)
        sandbox.network = context.request.network
        sandbox.uid = context.user.uid
        sandbox.gid = context.user.gid

        let tracker = PhaseTracker(spec: spec, nonce: nonce, log: context.log, events: events)
        context.log.container("Running on image \(context.request.image.reference) (\(context.request.image.digest)) as \(context.user.name)")
        context.log.container("Sandbox: \(isolation.summary)")
        let outcome: SandboxResult
        do {
            let running = try Sandbox.start(sandbox) { line in tracker.receive(line.text) }
            context.request.cancellation?.attach(running)
            outcome = try running.wait()
        } catch {
            context.log.container("Build could not start: \(error)")
            var result = context.result(status: .fault, message: "the sandbox could not run the build: \(error)",
                                        phases: tracker.results(interrupted: .fault))
            result.isolation = isolation
            return result
        }
        for limit in outcome.unenforcedLimits { context.log.container("Warning: \(limit)") }
        isolation.unenforced = outcome.unenforcedLimits
        // Where id-mapped mounts were missing the sandbox fell back to host uid 0, and said so.
        if isolation.hostUID != nil, outcome.unenforcedLimits.contains(where: { $0.hasPrefix("user namespace not used") }) {
            isolation.hostUID = 0
        }

        let state = tracker.state.withLock { $0 }
        let (status, message) = Self.verdict(outcome, state: state, timeout: context.request.timeout)
        if state.cacheRestoreStatus.map({ $0 != 0 }) == true {
            context.log.container("Warning: the cache could not be restored completely (cp exit status \(state.cacheRestoreStatus!))")
        }
        var result = context.result(status: status, message: message, phases: tracker.results(interrupted: status == .succeeded ? .failed : status))
        result.isolation = isolation

        if state.collected {
            collectOutputs(&result, plan: plan, context: context)
        }
        if script.savesCache, status == .succeeded, result.status == .succeeded, state.cacheSaveStatus == 0, let cacheKey {
            let tree = control + "/cache-save"
            var st = stat()
            // A real directory only: a link left by the build would later be mounted as a cache.
            if lstat(tree, &st) == 0, st.st_mode & S_IFMT == S_IFDIR {
                do {
                    try cacheStore.save(tree: tree, key: cacheKey)
                    cacheUse.savedKey = cacheKey
                    context.log.container("Saved cache '\(cacheKey)'")
                } catch {
                    cacheUse.notSaved = "\(error)"
                }
            }
        } else if script.savesCache && cacheUse.notSaved == nil {
            cacheUse.notSaved = result.status == .succeeded ? "the cache paths could not be copied" : "the build did not succeed"
        }
        result.cache = cacheUse
        result.duration = Date().timeIntervalSince(context.started)
        context.log.container("Build \(result.status.rawValue) in \(String(format: "%.2f", result.duration)) s"
                              + (result.message.map { ": \($0)" } ?? ""))
        return result
    }

    /// Writes the scripts, owned by the build's user so it can save its state.
    private func writeControl(_ files: [String: String], to control: String, user: BuildRequirements.User) throws {
        try makeDirectories(control + "/cmd")
        for (name, text) in files {
            try Data(text.utf8).write(to: URL(fileURLWithPath: control + "/" + name))
        }
        if user.uid != 0 { try Ownership.change(control, uid: user.uid, gid: user.gid) }
    }
}

/// chown of a whole tree without following symlinks.
enum Ownership {
    static func change(_ root: String, uid: UInt32, gid: UInt32) throws {
        guard lchown(root, uid, gid) == 0 else { throw SlipwayError.system("chown \(root)") }
        guard let walker = FileManager.default.enumerator(atPath: root) else { return }
        while let relative = walker.nextObject() as? String {
            lchown(root + "/" + relative, uid, gid)
        }
    }
}
