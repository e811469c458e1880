import Foundation
import SlipwayCore
import Specs

/// An artifact the build stored.
public struct BuiltArtifact: Codable, Sendable, Equatable {
    /// `primary`, or the `secondary-artifacts` identifier.
    public var id: String
    /// `artifacts.name`, expanded, when given.
    public var name: String?
    /// SHA-256 of the canonical tar stream.
    public var digest: Digest
    public var files: Int
    public var size: Int64
}

/// How the caches took part.
public struct CacheUse: Codable, Sendable, Equatable {
    public enum ResultCache: String, Codable, Sendable { case hit, miss, disabled }
    public var result: ResultCache
    /// The build-cache key restored (exact or by fallback prefix), if any.
    public var restoredKey: String?
    /// The key saved at the end, if the cache was written.
    public var savedKey: String?
    /// Why the build cache was not written, when it was not.
    public var notSaved: String?
}

/// Everything a build produced, for the CLI (`--json`) and the pipeline.
public struct BuildResult: Codable, Sendable {
    public var buildID: String
    public var buildNumber: Int
    public var project: String
    public var status: BuildStatus
    /// Why the build did not succeed, in a sentence.
    public var message: String?
    public var phases: [PhaseResult]
    public var artifacts: [BuiltArtifact]
    public var exportedVariables: [String: String]
    public var reports: [TestReport]
    public var cache: CacheUse
    /// Set when the result came from the result cache: the build that did the work.
    public var cachedFrom: String?
    /// The stored log (`<home>/builds/<project>/<uuid>/build.log`).
    public var logPath: String
    public var sourceCommit: String?
    /// The result-cache key: digest of source tree, buildspec, image, environment, semantics.
    public var resultKey: String
    public var startTime: Date
    /// Seconds, start to result.
    public var duration: Double
    /// Buildspec warnings, as `FILE:LINE:COL: warning: ...`.
    public var warnings: [String]
    /// The sandbox's limits and seccomp setting (for a result-cache hit: those of the build that
    /// did the work); nil in results recorded before it existed.
    public var isolation: BuildIsolation?
    /// The image the build ran on, as named (`debian:12`), and the digest it resolved to: part
    /// of the result key, so a tag moved by a pull is a cache miss.
    public var image: String?
    public var imageDigest: Digest?

    public var succeeded: Bool { status == .succeeded }
}
