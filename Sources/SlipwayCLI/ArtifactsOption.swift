import ArgumentParser
import ObjectStorage

/// `--artifacts` of the commands that build for a pipeline (`run`, `retry`, `serve`): the
/// team's bucket, where built artifacts go and where what this store lacks is fetched from.
struct ArtifactsOption: ParsableArguments {
    @Option(help: ArgumentHelp("Push built artifacts to s3://BUCKET[/PREFIX], and fetch from it what this store lacks (default: $SLIPWAY_ARTIFACTS).",
                               valueName: "s3-url"))
    var artifacts: String?

    /// The bucket given, else $SLIPWAY_ARTIFACTS's, else none.
    func bucket() throws -> ArtifactBucket? {
        try ArtifactCommand.configuredBucket(artifacts)
    }
}
