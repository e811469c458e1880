import Foundation
import Specs

/// One build's settings and paths, decided before it runs.
struct BuildContext {
    var request: BuildRequest
    var spec: BuildSpec
    var specFile: String
    var specData: Data
    var source: SourceSnapshot
    var project: String
    var buildID: String
    var number: Int
    var buildDir: String
    var workspace: String
    var started: Date
    var epoch: Int64
    var resultKey: String
    var user: BuildRequirements.User
    var variables: BuildVariables
    var masker: SecretMasker
    var log: BuildLog
    var warnings: [String]
    /// Extra inputs: name and host copy, bound at `/codebuild/output/src_<name>`.
    var secondarySources: [(name: String, workspace: String)] = []
    var resultCache = CacheUse.ResultCache.disabled

    var controlDirectory: String { buildDir + "/control" }

    /// A result that reuses an earlier build's artifacts without running anything.
    func cacheHit(_ earlier: BuildResult) -> BuildResult {
        log.container("Result cache hit: inputs match build \(earlier.buildID); reusing its artifacts without running")
        var result = earlier
        result.buildID = buildID
        result.buildNumber = number
        result.cachedFrom = earlier.cachedFrom ?? earlier.buildID
        result.cache = CacheUse(result: .hit)
        result.logPath = log.path
        result.startTime = started
        result.duration = Date().timeIntervalSince(started)
        result.warnings = warnings
        result.image = request.image.reference
        result.imageDigest = request.image.digest
        return result
    }

    func result(status: BuildStatus, message: String?, phases: [PhaseResult]) -> BuildResult {
        BuildResult(buildID: buildID, buildNumber: number, project: project, status: status, message: message, phases: phases,
                    artifacts: [], exportedVariables: [:], reports: [], cache: CacheUse(result: resultCache),
                    cachedFrom: nil, logPath: log.path, sourceCommit: source.commit, resultKey: resultKey,
                    startTime: started, duration: Date().timeIntervalSince(started), warnings: warnings,
                    image: request.image.reference, imageDigest: request.image.digest)
    }
}
