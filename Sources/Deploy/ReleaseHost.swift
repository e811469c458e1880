import Artifacts
import Foundation
import SlipwayCore
import Specs

/// A bundle unpacked under a hidden name on a host, not yet a release.
public struct StagedBundle: Sendable {
    /// Absolute path on the host of the bundle's root (after the single-top-folder rule).
    public var root: String
    /// The bundle's appspec text and its name, when it has one.
    public var appspec: (name: String, text: String)?
}

/// A held deploy lock on some host.
public protocol HostLock: Sendable {
    /// What a dead previous holder left, when the lock was taken over from it.
    var staleOwner: String? { get }
    func release()
}

/// One host's side of a target: the few operations a deploy needs, done with system calls on
/// this machine (`LocalHost`) or POSIX sh over OpenSSH (`RemoteHost`). Everything above it
/// (ordering, journal, rollback rules) is shared.
public protocol ReleaseHost: Sendable {
    /// How reports name this host (`local`, `user@host`).
    var name: String { get }
    var layout: ReleaseLayout { get }

    /// Creates `releases/`, `shared/` and the state folder.
    func prepareLayout() throws
    func lock(purpose: String, wait: TimeInterval) throws -> any HostLock
    func records() throws -> [JournalRecord]
    func append(_ record: JournalRecord) throws
    /// The release `current` points at.
    func current() throws -> String?
    /// Unpacks an artifact (verified against its digest) under a hidden staging name.
    func stage(_ artifact: ArtifactRecord, from store: ArtifactStore, id: String) throws -> StagedBundle
    /// Turns a staged bundle into `releases/<id>` following `plan`.
    func install(_ staged: StagedBundle, id: String, plan: InstallPlan) throws
    /// Keeps the appspec a release was installed with, for its ApplicationStop later.
    func saveAppSpec(_ text: String, id: String) throws
    func loadAppSpec(id: String) -> String?
    /// Where a release's hook scripts are (its bundle).
    func bundlePath(id: String) -> String
    func runHooks(_ event: LifecycleEvent, scripts: [HookScript], bundle: String, context: HookContext) throws
    /// Throws unless hooks can run as `user` here (it exists, and it is the deploying user or
    /// the deploying user is root): checked before any hook runs, so a hook that needs root
    /// the host does not give fails before anything is switched.
    func checkRunAs(_ user: String) throws
    /// The atomic switch of `current` to `releases/<id>`.
    func switchTo(_ id: String) throws
    /// Removes a release (and its bundle and appspec); never the one `current` names.
    func removeRelease(_ id: String) throws
    /// Release directory names on disk.
    func releaseDirectories() throws -> [String]
    /// Removes what crashed deploys left: staging directories and temp links. Lock held.
    func sweep() throws
    /// Runs a health command on the host; nil when it exits 0, else why not.
    func healthCommand(_ command: String, releasePath: String, environment: [String: String]) -> String?
    /// The host name an HTTP health URL's `{host}` stands for.
    var healthHost: String { get }
}

extension ReleaseHost {
    /// Finds the bundle root and its appspec in `staging` given its listing (single top folder rule).
    static func bundleRoot(staging: String, entries: [String], hasAppSpec: (String) -> String?) -> String {
        if hasAppSpec(staging) != nil { return staging }
        if entries.count == 1, hasAppSpec(staging + "/" + entries[0]) != nil { return staging + "/" + entries[0] }
        return staging
    }
}
