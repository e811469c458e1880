import Specs
import Testing

@Suite(.tags(.small)) struct PipelineWarningOrderTests {
    /// Sections are read in a fixed order, not the file's: the findings are put back in the
    /// file's order.
    @Test func warningsComeInLineOrder() {
        let yaml = """
            source:
              repository: /srv/git/app.git
              polll: 1m
            build:
              imagee: busybox
            zzz: 1
            stages:
              - name: live
                targets: [/srv/app]
                colour: blue
            """
        let diagnostics = PipelineSpec.parse(contents: yaml, file: "slipway.yml").diagnostics
        #expect(diagnostics.map(\.line) == [3, 5, 6, 10], "\(diagnostics)")
        #expect(diagnostics.map(\.keyPath) == ["source.polll", "build.imagee", "zzz", "stages[0].colour"])
    }

    @Test func deployFromNamesABatchBuild() {
        let spec = PipelineSpec.parse(contents: "build:\n  deploy-from: build2\n", file: "/p/slipway.yml").spec
        #expect(spec?.build.deployFrom == "build2")
        let empty = PipelineSpec.parse(contents: "build:\n  deploy-from: ''\n", file: "/p/slipway.yml")
        #expect(empty.spec == nil && empty.diagnostics.first?.keyPath == "build.deploy-from")
    }
}
