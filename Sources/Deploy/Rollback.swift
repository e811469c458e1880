import Foundation
import SlipwayCore
import Specs

/// Switches a target back to an earlier release on disk: the previous published, not-bad one
/// or a named one. The release left behind goes out of service (its BeforeBlockTraffic, the
/// drain command, its AfterBlockTraffic, ApplicationStop), then the same atomic switch as a
/// deploy, the target's ApplicationStart, ValidateService, health check, BeforeAllowTraffic,
/// the undrain command and AfterAllowTraffic;
/// the release left behind stays good (only a failed hook or health check marks a release
/// bad), so `rollback --to` can return to it. Database migrations and files in
/// `shared/` are not reverted.
public struct Rollback: Sendable {
    public let host: any ReleaseHost
    public var options: DeployOptions
    public let events: DeployEventSink

    public init(host: any ReleaseHost, options: DeployOptions = DeployOptions(), events: @escaping DeployEventSink = { _ in }) {
        self.host = host
        self.options = options
        self.events = events
    }

    public func run(to requested: String? = nil) throws -> RollbackResult {
        let run = HostDeployment(host: host, options: options, events: events)
        // Before `begin`: it may fail after taking the lock (sweeping, reading `current`).
        defer { run.lock?.release() }
        try run.begin()
        let current = try host.current()
        let history = ReleaseHistory(records: try host.records(), current: current)
        let onDisk = Set(try host.releaseDirectories())
        let target: String
        if let requested {
            guard let match = Self.match(requested, in: Array(onDisk)) else {
                throw SlipwayError.notFound("\(host.name): no release '\(requested)' on disk; see `slipway releases`")
            }
            if history.releases[match]?.state == .bad {
                events(DeployEvent(host: host.name, kind: .warning, text: "release \(match) was marked bad; rolling back to it as asked"))
            }
            guard history.releases[match].map({ $0.state != .created }) ?? true else {
                throw SlipwayError.badInput("\(host.name): release \(match) was never fully prepared; it cannot go live")
            }
            target = match
        } else {
            guard let candidate = history.rollbackCandidate(from: current), onDisk.contains(candidate) else {
                throw SlipwayError.notFound("\(host.name): no earlier good release to roll back to")
            }
            target = candidate
        }
        guard target != current else {
            // Already there, but perhaps left out of rotation by an earlier rollback or deploy
            // that failed on this host: once healthy, it goes back into service (an undrain of
            // a host in rotation changes nothing), so running the rollback again converges.
            if options.traffic.undrain != nil {
                do {
                    if let health = options.health {
                        try runHealthCheck(health, on: host, release: target, policy: options.healthPolicy, environment: options.environment)
                    }
                    events(DeployEvent(host: host.name, kind: .step, text: "already on releases/\(target): putting it (back) into service"))
                    try run.allowTraffic(to: target, reverting: target)
                } catch {
                    return RollbackResult(host: host.name, current: target, previous: current, status: "failed",
                                          error: "already on \(target), but not back in service: \(message(error))")
                }
            }
            return RollbackResult(host: host.name, current: target, previous: current, status: "unchanged", error: nil)
        }
        if let current {
            // Out of service first, in CodeDeploy's order, as a deploy does.
            do { try run.stop(current, for: target) } catch {
                try? run.restart(current, reverting: target)
                try? run.allowTraffic(to: current, reverting: target)
                throw SlipwayError.failed("\(host.name): rollback stopped before the switch", cause: error)
            }
        }
        events(DeployEvent(host: host.name, kind: .step, text: "switching current to releases/\(target)"))
        try host.switchTo(target)
        try host.append(JournalRecord(event: .switched, release: target, previous: current, note: "rollback"))
        events(DeployEvent(host: host.name, kind: .warning, text: "database migrations and files in shared/ are not reverted"))
        do {
            try run.restart(target, reverting: current ?? "")
            if let health = options.health { try runHealthCheck(health, on: host, release: target, policy: options.healthPolicy, environment: options.environment) }
            try run.allowTraffic(to: target, reverting: current ?? "")
        } catch {
            let note = run.drained ? "; it stays out of the load balancer's rotation (drained)" : ""
            return RollbackResult(host: host.name, current: target, previous: current, status: "failed", error: message(error) + note)
        }
        return RollbackResult(host: host.name, current: target, previous: current, status: "succeeded", error: nil)
    }

    /// A full id, or a unique prefix or sequence number (`42` matches `000042-…`).
    public static func match(_ text: String, in ids: [String]) -> String? {
        if ids.contains(text) { return text }
        if let n = Int(text) {
            let hits = ids.filter { ReleaseID.sequence(of: $0) == n }
            if hits.count == 1 { return hits[0] }
        }
        let hits = ids.filter { $0.hasPrefix(text) }
        return hits.count == 1 ? hits[0] : nil
    }
}

/// `slipway releases`: a target's releases, newest first, with which one is current.
public func listReleases(on host: any ReleaseHost) throws -> [Release] {
    let current = try host.current()
    let onDisk = Set(try host.releaseDirectories())
    return ReleaseHistory(records: try host.records(), current: current).ordered
        .filter { onDisk.contains($0.id) || $0.state != .pruned }.reversed()
}
