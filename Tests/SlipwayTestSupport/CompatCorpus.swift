import Foundation

/// Real buildspecs and appspecs from public repositories, kept with the tests as resources of
/// this target (Fixtures/compat; SOURCES.md there gives each file's origin and licence).
public enum CompatCorpus {
    /// The corpus directory in the built resources bundle.
    public static var directory: String {
        guard let url = Bundle.module.url(forResource: "compat", withExtension: nil) else {
            preconditionFailure("the compat corpus is missing from \(Bundle.module.bundlePath)")
        }
        return url.path
    }

    /// CodeBuild buildspecs (version 0.2).
    public static var buildspecs: String { directory + "/buildspec" }

    /// CodeDeploy EC2/on-premises appspecs; `ecs-lambda/` under it holds ECS and Lambda ones.
    public static var appspecs: String { directory + "/appspec" }
}
