import Foundation
import SlipwayCore
import Specs

/// What a hook script is told about its deployment, as CodeDeploy's environment variables plus
/// Slipway's `RELEASE_PATH` and `PREVIOUS_RELEASE_PATH`.
public struct HookContext: Sendable, Equatable {
    public var deploymentID: String
    public var applicationName: String
    public var deploymentGroupName: String
    public var deploymentGroupID: String
    /// The release being installed or started (absolute, on the target's host).
    public var releasePath: String
    /// The release that was live before (empty on a first deploy).
    public var previousReleasePath: String
    /// The stage's own variables (`environment:` of a pipeline stage); CodeDeploy's and
    /// Slipway's variables above win over them.
    public var variables: [String: String] = [:]

    public init(deploymentID: String, applicationName: String, deploymentGroupName: String,
                deploymentGroupID: String, releasePath: String, previousReleasePath: String, variables: [String: String] = [:]) {
        self.deploymentID = deploymentID
        self.applicationName = applicationName
        self.deploymentGroupName = deploymentGroupName
        self.deploymentGroupID = deploymentGroupID
        self.releasePath = releasePath
        self.previousReleasePath = previousReleasePath
        self.variables = variables
    }

    public func environment(for event: LifecycleEvent) -> [String: String] {
        variables.merging([
            "LIFECYCLE_EVENT": event.rawValue,
            "DEPLOYMENT_ID": deploymentID,
            "APPLICATION_NAME": applicationName,
            "DEPLOYMENT_GROUP_NAME": deploymentGroupName,
            "DEPLOYMENT_GROUP_ID": deploymentGroupID,
            "RELEASE_PATH": releasePath,
            "PREVIOUS_RELEASE_PATH": previousReleasePath,
        ]) { _, fixed in fixed }
    }
}

/// Checks a hook's `location` is a plain bundle-relative path.
func hookScriptPath(_ location: String) throws -> String {
    var path = location
    while path.hasPrefix("/") || path.hasPrefix("./") { path.removeFirst(path.hasPrefix("/") ? 1 : 2) }
    guard !path.isEmpty, !path.split(separator: "/").contains("..") else {
        throw SlipwayError.badInput("hook location '\(location)' must be a path inside the bundle")
    }
    return path
}
