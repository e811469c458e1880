import Specs
import Testing

/// A stage's fleet settings in slipway.yml: CodeDeploy's minimum healthy hosts and the
/// drain/undrain commands.
@Suite(.tags(.small)) struct FleetStageParseTests {
    func parse(_ stage: String) -> (spec: PipelineSpec?, diagnostics: [Diagnostic]) {
        PipelineSpec.parse(contents: "stages:\n  - name: web\n    targets: [/a, /b, /c, /d]\n" + stage, file: "/p/slipway.yml")
    }

    @Test func minimumHealthyHostsAndTrafficCommandsAreRead() throws {
        let parsed = parse("    minimum-healthy-hosts: 75%\n    drain: lb drain $SLIPWAY_HOST\n    undrain: lb undrain $SLIPWAY_HOST\n")
        let stage = try #require(parsed.spec?.stages.first, "\(parsed.diagnostics)")
        #expect(stage.minimumHealthyHosts == "75%")
        #expect(stage.drain == "lb drain $SLIPWAY_HOST" && stage.undrain == "lb undrain $SLIPWAY_HOST")
        #expect(parse("    minimum-healthy-hosts: 2\n").spec?.stages.first?.minimumHealthyHosts == "2")
    }

    @Test(arguments: [
        ("    minimum-healthy-hosts: 4\n", "4 healthy hosts of 4 leaves no host to deploy to: give at most 3"),
        ("    minimum-healthy-hosts: 100%\n", "'100%' is not a share of the hosts from 0% to 99%"),
        ("    minimum-healthy-hosts: 80%\n", "80% of 4 hosts keeps every host in service"),
        ("    minimum-healthy-hosts: many\n", "'many' is not a number of hosts"),
        ("    minimum-healthy-hosts: 1\n    strategy: half\n", "give strategy or minimum-healthy-hosts, not both"),
        ("    drain: ''\n    undrain: x\n", "the drain command is empty"),
    ])
    func badValuesNameTheLineAndKey(_ stage: String, _ message: String) {
        let parsed = parse(stage)
        #expect(parsed.spec == nil)
        let error = parsed.diagnostics.first { $0.severity == .error }
        #expect(error?.description.contains(message) == true, "\(parsed.diagnostics)")
        #expect(error?.line == 4, "\(parsed.diagnostics)")
        #expect(error?.keyPath.hasPrefix("stages[0].") == true)
    }

    @Test func drainWithoutUndrainWarns() {
        let parsed = parse("    drain: lb drain\n")
        #expect(parsed.spec?.stages.first?.drain == "lb drain")
        #expect(parsed.diagnostics.contains { $0.severity == .warning && $0.keyPath == "stages[0].drain" && $0.description.contains("never put back") })
    }
}
