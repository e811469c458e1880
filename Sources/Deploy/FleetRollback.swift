import Foundation
import SlipwayCore
import Synchronization

/// Rolls every host of a fleet (a pipeline stage's targets) back to one earlier release, in
/// batches as a deploy switches them (the stage's strategy or minimum healthy hosts), each
/// host with a single target's rollback: out of rotation (BeforeBlockTraffic, drain,
/// AfterBlockTraffic, ApplicationStop), the switch, ApplicationStart, ValidateService, the
/// health check, back into rotation. The release is the one every host would go back to
/// (the previous good one), or a named one; hosts that disagree are refused before anything
/// changes. The first host that fails stops the rollback: the hosts already switched stay on
/// the older release (it is healthy there) and the rest are not touched.
public struct FleetRollback: Sendable {
    public let hosts: [any ReleaseHost]
    public var options: DeployOptions
    public let events: DeployEventSink

    public init(hosts: [any ReleaseHost], options: DeployOptions = DeployOptions(), events: @escaping DeployEventSink = { _ in }) {
        self.hosts = hosts
        self.options = options
        self.events = events
    }

    /// Throws for bad input found before anything changed (hosts that disagree, a release
    /// some host lacks, a host that cannot be read); otherwise the result says what happened
    /// on each host.
    public func run(to requested: String? = nil) throws -> FleetRollbackResult {
        let size = try options.batchSize(for: hosts.count)
        let release = try plan(requested)
        var outcomes: [RollbackResult?] = Array(repeating: nil, count: hosts.count)
        var failure: String?
        for start in stride(from: 0, to: hosts.count, by: size) {
            let indices = Array(start..<min(start + size, hosts.count))
            let done = Mutex<[Int: RollbackResult]>([:])
            forEachConcurrently(indices) { _, index in
                let host = hosts[index]
                let result: RollbackResult
                do {
                    result = try Rollback(host: host, options: options, events: events).run(to: release)
                } catch {
                    result = RollbackResult(host: host.name, current: (try? host.current()).flatMap { $0 } ?? "", previous: nil,
                                            status: "failed", error: message(error))
                }
                done.withLock { $0[index] = result }
            }
            for (index, result) in done.withLock({ $0 }) { outcomes[index] = result }
            if let first = indices.compactMap({ outcomes[$0] }).first(where: { $0.status == "failed" }) {
                failure = "\(first.host): \(first.error ?? "the rollback failed")"
                break
            }
        }
        let results = zip(hosts, outcomes).map { host, outcome in
            outcome ?? RollbackResult(host: host.name, current: (try? host.current()).flatMap { $0 } ?? "", previous: nil,
                                      status: "not-switched", error: "not rolled back: the rollback stopped when another host failed")
        }
        return FleetRollbackResult(release: release, status: failure == nil ? "succeeded" : "failed", hosts: results, error: failure)
    }

    /// The release every host goes back to.
    func plan(_ requested: String?) throws -> String {
        var chosen: [(host: String, release: String)] = []
        for host in hosts {
            let current: String?, onDisk: [String], history: ReleaseHistory
            do {
                current = try host.current()
                onDisk = try host.releaseDirectories()
                history = ReleaseHistory(records: try host.records(), current: current)
            } catch {
                throw SlipwayError.failed("\(host.name): cannot read its releases, so nothing was rolled back: \(message(error))")
            }
            if let requested {
                guard let match = Rollback.match(requested, in: onDisk) else {
                    throw SlipwayError.notFound("\(host.name): no release '\(requested)' on disk, so nothing was rolled back; see `slipway releases`")
                }
                chosen.append((host.name, match))
            } else {
                guard let candidate = history.rollbackCandidate(from: current), onDisk.contains(candidate) else {
                    throw SlipwayError.notFound("\(host.name): no earlier good release to roll back to, so nothing was rolled back")
                }
                chosen.append((host.name, candidate))
            }
        }
        let releases = Set(chosen.map(\.release))
        guard releases.count == 1, let release = releases.first else {
            throw SlipwayError.badInput("the hosts would roll back to different releases ("
                                        + chosen.map { "\($0.host): \($0.release)" }.joined(separator: ", ")
                                        + "); name one with --to, and hosts already on it stay as they are")
        }
        return release
    }
}

/// The result of rolling a fleet back (`slipway rollback --stage`).
public struct FleetRollbackResult: Codable, Sendable {
    /// The release the hosts go back to.
    public var release: String
    /// `succeeded` or `failed`.
    public var status: String
    /// One per host, in the stage's order: `succeeded`, `unchanged` (it was on the release
    /// already), `failed`, or `not-switched` (after another host failed).
    public var hosts: [RollbackResult]
    public var error: String?
}

/// One host's releases in a fleet listing.
public struct HostReleases: Codable, Sendable {
    /// The target as given (by default, the host's name and path).
    public var target: String
    public var host: String
    public var path: String
    public var current: String?
    public var releases: [Release]
    /// Why the host could not be read.
    public var error: String?
}

/// `slipway releases` for several targets: each host's releases and which is current, read
/// in parallel; a host that cannot be read says why.
public func listReleases(onEach hosts: [any ReleaseHost]) -> [HostReleases] {
    let found = Mutex<[Int: HostReleases]>([:])
    forEachConcurrently(Array(hosts.indices)) { _, index in
        let host = hosts[index]
        var entry = HostReleases(target: host.name + ":" + host.layout.root, host: host.name, path: host.layout.root, current: nil, releases: [], error: nil)
        do {
            entry.releases = try listReleases(on: host)
            entry.current = entry.releases.first(where: \.current)?.id
        } catch {
            entry.error = message(error)
        }
        found.withLock { $0[index] = entry }
    }
    let all = found.withLock { $0 }
    return hosts.indices.compactMap { all[$0] }
}
