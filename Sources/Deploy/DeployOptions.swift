import Foundation
import Specs

/// How many hosts switch at a time in a multi-host deploy.
public enum BatchSize: String, Sendable, Codable, CaseIterable {
    case one, half, all

    func size(of count: Int) -> Int {
        switch self {
        case .one: return 1
        case .half: return max(1, (count + 1) / 2)
        case .all: return max(1, count)
        }
    }
}

/// What every kind of deploy takes from its caller, whatever the target (hosts or a bucket):
/// the appspec, how many releases to keep, the health check, the lock wait and the names and
/// variables hooks get.
public protocol ReleaseSettings {
    var appspecOverride: (name: String, text: String)? { get set }
    var keep: Int { get set }
    var health: HealthCheck? { get set }
    var healthPolicy: HealthCheck.Policy { get set }
    var lockWait: TimeInterval { get set }
    var applicationName: String? { get set }
    var deploymentGroup: String { get set }
    var environment: [String: String] { get set }
}

/// Everything about a deploy besides the artifact and its targets.
public struct DeployOptions: ReleaseSettings, Sendable {
    /// An appspec to use instead of the bundle's own (its text).
    public var appspecOverride: (name: String, text: String)?
    /// The path the appspec's `files`/`permissions` use for the release (default: the target's path).
    public var appRoot: String?
    /// Published releases to keep besides current and previous.
    public var keep: Int = 5
    public var health: HealthCheck?
    public var healthPolicy = HealthCheck.Policy()
    public var batch: BatchSize = .one
    /// CodeDeploy's minimum healthy hosts; when set it decides the batch size instead of `batch`.
    public var minimumHealthy: MinimumHealthyHosts?
    /// Commands that take a host out of the load balancer's rotation before its switch and put
    /// it back once it is healthy.
    public var traffic = TrafficControl()
    /// APPLICATION_NAME for hooks (default: the target directory's name).
    public var applicationName: String?
    /// DEPLOYMENT_GROUP_NAME for hooks (default: "default").
    public var deploymentGroup: String = "default"
    /// Seconds to wait for another deploy's lock before failing.
    public var lockWait: TimeInterval = 0
    /// Variables every hook and the health command get (a pipeline stage's `environment`).
    public var environment: [String: String] = [:]
    /// Seconds to keep reading a hook's output after it exits.
    public var outputGrace: TimeInterval = 2

    public init() {}

    /// How many of `count` hosts switch at a time; throws when `minimumHealthy` leaves none.
    public func batchSize(for count: Int) throws -> Int {
        if let minimumHealthy { return try minimumHealthy.batchSize(of: count) }
        return batch.size(of: count)
    }
}

/// What happened on one host.
public struct HostOutcome: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        /// The new release is live and healthy.
        case live
        /// Prepared but never switched (another host failed first).
        case notSwitched = "not-switched"
        /// Switched, then switched back to the previous release.
        case reverted
        /// Failed before the switch; the previous release stayed live.
        case failed
    }

    public var host: String
    public var status: Status
    public var release: String?
    public var previous: String?
    /// What `current` names at the end.
    public var current: String?
    public var error: String?
}

/// The result of `slipway deploy` (and `--json`).
public struct DeployResult: Codable, Sendable {
    public var release: String?
    /// `succeeded`, `rolled-back` (switched, failed, switched back) or `failed`.
    public var status: String
    public var previous: String?
    public var current: String?
    public var hosts: [HostOutcome]
    public var error: String?

    public var succeeded: Bool { status == "succeeded" }

    /// For a deploy that did not succeed, what the targets serve now, in a sentence: the
    /// release they were rolled back to, or the one that stayed current because nothing was
    /// switched. nil for a deploy that succeeded.
    public var aftermath: String? {
        guard !succeeded else { return nil }
        func serving(_ outcomes: [HostOutcome]) -> String {
            let releases = Set(outcomes.map { $0.current ?? "" })
            if releases.count == 1, let only = releases.first {
                return only.isEmpty ? "no release" : "release \(only)"
            }
            return outcomes.map { "\($0.host) \($0.current.map { "release " + $0 } ?? "no release")" }.joined(separator: ", ")
        }
        let reverted = hosts.filter { $0.status == .reverted }
        if !reverted.isEmpty {
            guard hosts.count > 1 else { return "rolled back to \(serving(reverted))" }
            // Which hosts went back, and which did not (never switched, or could not be reached).
            var text = "rolled back to \(serving(reverted)) on \(reverted.map(\.host).joined(separator: ", "))"
            let untouched = hosts.filter { $0.status == .notSwitched }
            if !untouched.isEmpty { text += "; not switched: \(untouched.map(\.host).joined(separator: ", "))" }
            let stuck = hosts.filter { $0.status == .failed && $0.release != nil && $0.current != $0.previous }
            if !stuck.isEmpty {
                text += "; not switched back: " + stuck.map { "\($0.host) (\($0.current.map { "serves release " + $0 } ?? "unreachable"))" }.joined(separator: ", ")
            }
            return text
        }
        let stuck = hosts.filter { $0.release != nil && $0.current == $0.release }
        if !stuck.isEmpty {
            return "not rolled back: \(stuck.map(\.host).joined(separator: ", ")) still serve\(stuck.count == 1 ? "s" : "") the new release "
                + "(no earlier release to go back to, or switching back failed: see the log)"
        }
        guard hosts.contains(where: { $0.current != nil }) else { return "nothing was switched; no release was live before" }
        return "nothing was switched: \(serving(hosts)) stays current"
    }
}

/// The result of `slipway rollback`.
public struct RollbackResult: Codable, Sendable {
    public var host: String
    /// The release now live.
    public var current: String
    /// The release left behind (still published: a manual rollback marks nothing bad).
    public var previous: String?
    public var status: String
    public var error: String?
}
