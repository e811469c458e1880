import Foundation

/// An `appspec.yml` for EC2/on-premises deployments (version 0.0), as CodeDeploy defines it.
///
/// Paths in `files` and `permissions` are the appspec's own absolute paths; the deploy stage
/// maps them into a release (see docs/deploy.md). Parse with `AppSpec.parse(contents:file:)`.
public struct AppSpec: Sendable, Equatable, Codable {
    public var version: String
    public var os: String
    public var files: [FileMapping]
    public var fileExistsBehavior: FileExistsBehavior
    public var permissions: [PermissionRule]
    /// Scripts per lifecycle event, in the order the file lists them.
    public var hooks: [LifecycleEvent: [HookScript]]

    public init(version: String = "0.0", os: String = "linux", files: [FileMapping] = [],
                fileExistsBehavior: FileExistsBehavior = .disallow, permissions: [PermissionRule] = [],
                hooks: [LifecycleEvent: [HookScript]] = [:]) {
        self.version = version
        self.os = os
        self.files = files
        self.fileExistsBehavior = fileExistsBehavior
        self.permissions = permissions
        self.hooks = hooks
    }

    /// The scripts of one event (empty when the appspec has none).
    public func scripts(for event: LifecycleEvent) -> [HookScript] { hooks[event] ?? [] }

    /// The file names looked for at a bundle's root, in order.
    public static let fileNames = ["appspec.yml", "appspec.yaml"]
}

/// `files[]`: copy `source` (bundle-relative; a directory means its contents, `/` the whole
/// bundle) into `destination` (absolute).
public struct FileMapping: Sendable, Equatable, Codable {
    public var source: String
    public var destination: String

    /// True for `/` (or empty): the whole bundle.
    public var isWholeBundle: Bool {
        source.trimmingCharacters(in: CharacterSet(charactersIn: "/")).isEmpty
    }
}

/// What to do when a file to install already exists at its destination.
public enum FileExistsBehavior: String, Sendable, Equatable, Codable, CaseIterable {
    /// Fail the deployment (CodeDeploy's default).
    case disallow = "DISALLOW"
    /// Replace the existing file.
    case overwrite = "OVERWRITE"
    /// Keep the existing file.
    case retain = "RETAIN"
}

/// `permissions[]`: owner, group and mode for what a deployment installed under `object`.
public struct PermissionRule: Sendable, Equatable, Codable {
    public enum ObjectType: String, Sendable, Equatable, Codable { case file, directory }

    public var object: String
    /// A simple glob on `object`'s direct children; `**` means everything below it.
    public var pattern = "**"
    public var except: [String] = []
    public var owner: String?
    public var group: String?
    /// Octal permission bits read from the raw text (`0644` and `644` are both 0o644).
    public var mode: UInt32?
    /// Empty means both files and directories.
    public var types: [ObjectType] = []
}

/// One script of a lifecycle event.
public struct HookScript: Sendable, Equatable, Codable {
    /// Bundle-relative path of the script.
    public var location: String
    /// Seconds before the script's process group is killed (CodeDeploy's default: 3600).
    public var timeout: Int
    /// The user to run as; nil means the deploying user.
    public var runas: String?

    public static let defaultTimeout = 3600

    public init(location: String, timeout: Int = HookScript.defaultTimeout, runas: String? = nil) {
        self.location = location
        self.timeout = timeout
        self.runas = runas
    }
}

/// CodeDeploy's EC2/on-premises lifecycle events, in the order a deployment runs them.
public enum LifecycleEvent: String, Sendable, Equatable, Codable, CaseIterable, CodingKeyRepresentable {
    case beforeBlockTraffic = "BeforeBlockTraffic"
    case afterBlockTraffic = "AfterBlockTraffic"
    case applicationStop = "ApplicationStop"
    case beforeInstall = "BeforeInstall"
    case afterInstall = "AfterInstall"
    case applicationStart = "ApplicationStart"
    case validateService = "ValidateService"
    case beforeAllowTraffic = "BeforeAllowTraffic"
    case afterAllowTraffic = "AfterAllowTraffic"

    /// Events whose scripts come from the previous release, not the one being installed.
    public var runsFromPreviousRelease: Bool {
        self == .applicationStop || self == .beforeBlockTraffic || self == .afterBlockTraffic
    }
}
