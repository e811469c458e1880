import SlipwayTestSupport
import Specs
import Testing

/// `s3://` targets in slipway.yml stages.
@Suite(.tags(.small)) struct SiteSpecTests {
    @Test func aStageMayDeployToBuckets() throws {
        let text = "stages:\n  - name: www\n    targets: [s3://www-example-org/site, s3://www-example-org/mirror]\n    grace: 2m\n"
        let (spec, diagnostics) = PipelineSpec.parse(contents: text, file: "slipway.yml")
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        #expect(spec?.stages.first?.targets == ["s3://www-example-org/site", "s3://www-example-org/mirror"])
        #expect(spec?.stages.first?.grace == 120)
    }

    @Test func aStageCannotMixBucketsWithHosts() {
        let text = "stages:\n  - name: www\n    targets: [s3://www-example-org/site, /srv/site]\n    grace: soon\n"
        let (spec, diagnostics) = PipelineSpec.parse(contents: text, file: "slipway.yml")
        #expect(spec == nil)
        #expect(diagnostics.map(\.description).contains { $0.hasPrefix("slipway.yml:3:14: error: a stage's targets are all s3:// (a static site) or none are (stages[0].targets)") },
                "\(diagnostics)")
        #expect(diagnostics.map(\.description).contains { $0.hasPrefix("slipway.yml:4:12: error: 'soon' is not a duration") }, "\(diagnostics)")
    }
}
