import SlipwayCore

/// What a build stage records beside its artifact: the image that built it (by the name the
/// pipeline gave and the digest that name resolved to) and, when the pipeline asks for it
/// (`build.check`), whether a second build of the same commit gave the same artifact.
public struct BuildFacts: Codable, Sendable, Hashable {
    public var image: String
    public var imageDigest: Digest?
    public var check: CheckVerdict?

    public init(image: String, imageDigest: Digest?, check: CheckVerdict? = nil) {
        (self.image, self.imageDigest, self.check) = (image, imageDigest, check)
    }

    /// The outcome of the second build.
    public struct CheckVerdict: Codable, Sendable, Hashable {
        public var reproducible: Bool
        /// The second build's id (its log and result are kept as any build's).
        public var secondBuild: String
        /// What differs: `ARTIFACT:PATH (aspects)`, at most `CheckVerdict.listed` of them.
        public var differences: [String]
        /// How many differences there were in all.
        public var differenceCount: Int

        public static let listed = 50

        public init(reproducible: Bool, secondBuild: String, differences: [String]) {
            self.reproducible = reproducible
            self.secondBuild = secondBuild
            self.differences = Array(differences.prefix(Self.listed))
            differenceCount = differences.count
        }
    }
}
