import Foundation
import Images
import Sandbox
import SlipwayCore
import Specs

/// What to build: a source tree, a buildspec, an image, and the settings around them.
public struct BuildRequest: Sendable {
    /// A directory: in a git checkout the tree committed at HEAD is built (the working tree
    /// with `dirty`), otherwise the directory as it is.
    public var source: String
    /// The buildspec, relative to `source` or absolute; default `buildspec.yml`, then `buildspec.yaml`.
    public var buildspec: String?
    /// The toolchain image the build runs on.
    public var image: ImageRecord
    /// Nobody named `image` (it is the default): a buildspec asking for runtimes then runs on
    /// the image `RuntimeImages.debianImages` maps them to instead.
    public var imageIsDefault = false
    /// Project or pipeline settings: override the buildspec's `env.variables`.
    public var projectEnvironment: [String: String] = [:]
    /// Run-time overrides (`--env K=V`): override everything else.
    public var environment: [String: String] = [:]
    /// Secret values by the name `parameter-store`/`secrets-manager` uses for them; only the
    /// ones the buildspec references reach the build.
    public var secrets: [String: String] = [:]
    /// Variables whose values are secrets (a pipeline's `build.secrets`): set like the
    /// buildspec's secret variables, masked in the log, kept out of the result key.
    public var secretVariables: [String: String] = [:]
    /// Extra inputs by name: each is copied like the source and appears at
    /// `CODEBUILD_SRC_DIR_<name>` (`/codebuild/output/src_<name>`).
    public var secondarySources: [String: String] = [:]
    /// Build the working tree of a git checkout instead of HEAD.
    public var dirty = false
    /// Look up and record the result cache.
    public var useResultCache = true
    /// Only trusted refs (the pipeline's own branches) may write the shared build cache.
    public var trustedRef = true
    /// Keep the build's copy of the source (under the build directory) for inspection.
    public var keepWorkspace = false
    /// `CODEBUILD_BUILD_ID` is `<project>:<uuid>`; default: the source directory's name.
    public var project: String?
    /// Seconds before the build is stopped as TIMED_OUT.
    public var timeout: Double = 3600
    /// `CODEBUILD_INITIATOR`: who or what started the build.
    public var initiator = "slipway"
    /// `CODEBUILD_SOURCE_VERSION` (a branch or ref); default: the commit.
    public var sourceVersion: String?
    /// Lets another thread stop the build (it ends STOPPED).
    public var cancellation: BuildCancellation?
    /// The sandbox's limits (`build.limits`, flags); unset ones take `BuildIsolation.Defaults`.
    public var limits = BuildLimits()
    /// `unconfined`: no seccomp filter (nested containers); recorded in the result.
    public var seccomp: PipelineSpec.Seccomp = .default
    /// Builds see only their own loopback unless host networking is asked for (to fetch
    /// dependencies); the choice is part of the result key.
    public var network: SandboxSpec.Network = .none
    /// `build.runtimes`: a buildspec whose install phase asks for a mapped runtime runs on
    /// that runtime's image (resolved with `resolveImage`) instead of `image`.
    public var runtimeImages = RuntimeImages([:])
    /// Finds (or pulls) an image by reference, for an image the buildspec's runtimes pick.
    public var resolveImage: (@Sendable (String) throws -> ImageRecord)?
    /// Why `image` could not be found, when `runtimeImages` may still pick one: thrown only if
    /// the buildspec's runtimes pick none.
    public var imageError: SlipwayError?

    /// A request whose image is missing (`error` says why) unless `runtimeImages` picks one.
    public init(source: String, missingImage error: SlipwayError, buildspec: String? = nil) {
        self.init(source: source, image: .missing(), buildspec: buildspec)
        imageError = error
    }

    public init(source: String, image: ImageRecord, buildspec: String? = nil) {
        self.source = source
        self.image = image
        self.buildspec = buildspec
    }
}
