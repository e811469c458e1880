import Foundation
import Images
import SlipwayCore

/// A fresh temporary directory that stands as `HOME` and holds a Slipway home, with its image
/// store and the `slipway` binary run on both: the setup of tests that fill an image store of
/// their own (imports, pulls) and drive it through the library or the CLI.
public struct ScratchHome: Sendable {
    public let directory: TemporaryDirectory
    public var path: String { directory.path }
    public var home: SlipwayHome { directory.home }
    public var store: ImageStore { ImageStore(home: home) }

    /// `label` starts the directory's name, as for `TemporaryDirectory`.
    public init(_ label: String) throws {
        directory = try TemporaryDirectory(label)
    }

    /// `SLIPWAY_HOME` and `HOME`, for a command run other than through `slipway`.
    public var environment: [String: String] { ["SLIPWAY_HOME": home.path, "HOME": path] }

    /// The `slipway` binary on this home, with this directory as `HOME` (so no Docker
    /// credentials of the machine's user are read), plus `environment`.
    public func slipway(environment: [String: String] = [:]) -> SlipwayCommand {
        SlipwayCommand(home: home.path, environment: ["HOME": path].merging(environment) { $1 })
    }

    /// `relative` under the directory, created with its parents.
    @discardableResult
    public func directory(_ relative: String) throws -> String { try directory.directory(relative) }
}
