import Build
import Foundation
import SlipwayCore
import Specs

/// The pipeline `slipway run DIR` runs: DIR's `slipway.yml` when it has one, else defaults
/// (build with `buildspec.yml` on the busybox image, one deploy stage to `--target`).
public struct ProjectPipeline: Sendable {
    public var spec: PipelineSpec
    /// The commit DIR's HEAD names.
    public var head: String
    public var warnings: [Diagnostic]

    public init(directory: String, target: String?) throws {
        let directory = SlipwayHome.absolute(directory)
        guard FileManager.default.fileExists(atPath: directory) else { throw SlipwayError.notFound("\(directory): no such directory") }
        let top: String
        do { top = try Git.run(["rev-parse", "--show-toplevel"], in: directory) } catch {
            throw SlipwayError.badInput("\(directory) is not a git repository: a pipeline runs a commit (git init, git add, git commit first)")
        }
        guard let head = try? Git.run(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], in: top), !head.isEmpty else {
            throw SlipwayError.badInput("\(top) has no commit yet: commit the project first (git add -A && git commit)")
        }
        self.head = head
        let file = directory + "/slipway.yml"
        if FileManager.default.fileExists(atPath: file) {
            do { (spec, warnings) = try PipelineSpec.load(file: file) } catch let error as SpecError {
                throw SlipwayError.badInput(error.description)
            }
        } else {
            warnings = []
            let name = (top as NSString).lastPathComponent
            spec = PipelineSpec(name: PipelineSpec.isValidName(name) ? name : "project", source: .init(repository: top))
        }
        // `slipway run` builds DIR's own HEAD, whatever repository the file names.
        spec.source.repository = top
        if let target {
            var stage = spec.stages.first ?? PipelineSpec.DeployStage(name: "deploy", targets: [])
            stage.targets = [target.hasPrefix("ssh://") || target.hasPrefix("s3://") ? target : SlipwayHome.absolute(target)]
            stage.approval = false
            spec.stages = [stage]
        }
        guard !spec.stages.isEmpty else {
            throw SlipwayError.badInput("nowhere to deploy: give --target DIR, or add stages with targets to \(file)")
        }
    }
}
