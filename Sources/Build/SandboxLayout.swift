import Foundation

/// Fixed paths inside the sandbox, the same for every build so outputs do not depend on
/// where Slipway keeps its state.
public enum SandboxLayout {
    /// `CODEBUILD_SRC_DIR`: the copied source tree, the build's starting directory.
    public static let sourceDirectory = "/codebuild/output/src"
    /// Slipway's control directory: scripts, the saved shell state, exported files.
    public static let controlDirectory = "/codebuild/slipway"
    /// A restored cache entry (read-only), mirrored from `/`.
    public static let cacheRestoreDirectory = "/codebuild/cache/restore"
    public static let hostname = "slipway-build"
    public static let home = "/root"
}
