import Archive
import Artifacts
import Foundation
import SlipwayCore
import Specs

/// A target directory on this machine.
public struct LocalHost: ReleaseHost {
    public let layout: ReleaseLayout
    public var name: String { "local" }
    public var healthHost: String { "127.0.0.1" }
    let hooks: HookRunner

    public init(root: String, events: @escaping DeployEventSink, outputGrace: TimeInterval = 2) {
        layout = ReleaseLayout(root: SlipwayHome.absolute(root))
        hooks = HookRunner(host: "local", outputGrace: outputGrace, events: events)
    }

    public func prepareLayout() throws {
        for dir in [layout.releases, layout.shared, layout.state, layout.appspecs] { try makeDirectories(dir) }
    }

    public func checkRunAs(_ user: String) throws { _ = try HookRunner.account(user) }

    public func lock(purpose: String, wait: TimeInterval) throws -> any HostLock {
        try DeployLock(path: layout.lock, purpose: purpose, wait: wait)
    }

    public func records() throws -> [JournalRecord] { try Journal(path: layout.journal).records() }
    public func append(_ record: JournalRecord) throws { try Journal(path: layout.journal).append(record) }
    public func current() throws -> String? { try CurrentLink(layout: layout).read() }

    public func stage(_ artifact: ArtifactRecord, from store: ArtifactStore, id: String) throws -> StagedBundle {
        let staging = layout.releases + "/.\(id).bundle"
        removeTree(staging)
        try store.unpack(artifact, to: staging)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: staging)) ?? []
        var found: (String, String)?
        let root = Self.bundleRoot(staging: staging, entries: entries) { dir in
            for name in AppSpec.fileNames {
                if let data = FileManager.default.contents(atPath: dir + "/" + name) {
                    found = (name, String(decoding: data, as: UTF8.self))
                    return name
                }
            }
            return nil
        }
        return StagedBundle(root: root, appspec: found)
    }

    public func install(_ staged: StagedBundle, id: String, plan: InstallPlan) throws {
        let hasShared = !((try? FileManager.default.contentsOfDirectory(atPath: layout.shared)) ?? []).isEmpty
        if plan.isIdentity && plan.permissions.isEmpty && !hasShared {
            // The common case needs no copying: the unpacked bundle becomes the release.
            let staging = layout.releases + "/.\(id).bundle"
            guard rename(staged.root, layout.release(id)) == 0 else {
                throw SlipwayError.system("rename \(staged.root) to \(layout.release(id))")
            }
            if staged.root != staging { removeTree(staging) }
        } else {
            try runShell(InstallScript.make(plan, finished: false), [id, staged.root])
            removeTree(layout.releases + "/.\(id).bundle")
            let stage = layout.releases + "/.\(id).install"
            try ReleasePermissions(permissions: plan.permissions).apply(beneath: stage)
            guard chmod(stage, 0o755) == 0 else { throw SlipwayError.chmod(stage) }
            guard rename(stage, layout.release(id)) == 0 else { throw SlipwayError.rename(stage, to: layout.release(id)) }
        }
        try Syscall.fsyncDirectory(layout.releases)
    }

    public func saveAppSpec(_ text: String, id: String) throws {
        try makeDirectories(layout.appspecs)
        try writeFileAtomically(Data(text.utf8), to: layout.appspec(id))
    }

    public func loadAppSpec(id: String) -> String? {
        FileManager.default.contents(atPath: layout.appspec(id)).map { String(decoding: $0, as: UTF8.self) }
    }

    public func bundlePath(id: String) -> String {
        FileManager.default.fileExists(atPath: layout.bundle(id)) ? layout.bundle(id) : layout.release(id)
    }

    public func runHooks(_ event: LifecycleEvent, scripts: [HookScript], bundle: String, context: HookContext) throws {
        try hooks.run(event, scripts: scripts, bundle: bundle, context: context)
    }

    public func switchTo(_ id: String) throws { try CurrentLink(layout: layout).switchTo(id) }

    public func removeRelease(_ id: String) throws {
        guard ReleaseID.isValid(id), try current() != id else {
            throw SlipwayError.failed("refusing to remove release \(id): it is current")
        }
        // Rename first so a crash mid-removal never leaves a half-deleted tree under a
        // release's name.
        let trash = layout.releases + "/.\(id).removing"
        if rename(layout.release(id), trash) == 0 { removeTree(trash) }
        removeTree(layout.bundle(id))
        unlink(layout.appspec(id))
    }

    public func releaseDirectories() throws -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: layout.releases)) ?? []).filter { !$0.hasPrefix(".") }
    }

    public func sweep() throws {
        CurrentLink(layout: layout).sweepTemporaryLinks()
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: layout.releases)) ?? []) where name.hasPrefix(".") {
            removeTree(layout.releases + "/" + name)
        }
    }

    public func healthCommand(_ command: String, releasePath: String, environment: [String: String]) -> String? {
        var env = Command.baseEnvironment().merging(environment) { _, stage in stage }
        env["RELEASE_PATH"] = releasePath
        var last = ""
        guard let ending = try? Command(["/bin/sh", "-c", command], environment: env).runLines(timeout: 60, grace: 1, line: { last = $1 }) else {
            return "cannot run /bin/sh"
        }
        switch ending {
        case .exited(0), .outputHeldOpen(0): return nil
        // The health check's message names the command already.
        case .exited(let code), .outputHeldOpen(let code): return "exited with status \(code)" + (last.isEmpty ? "" : ": \(last)")
        case .timedOut: return "did not finish in 60 s"
        }
    }

    /// Runs a sh script from the target's root; throws with its output on failure.
    func runShell(_ script: String, _ arguments: [String]) throws {
        let argv = ["/bin/sh", "-c", "cd \"$0\" || exit 1\n" + script, layout.root] + arguments
        var output: [String] = []
        let ending = try Command(argv).runLines(timeout: 3600, grace: 1) { output.append($1) }
        guard ending == .exited(0) else {
            throw SlipwayError.failed(output.suffix(5).joined(separator: "\n").nonEmpty ?? "installing the release failed (\(ending))")
        }
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
