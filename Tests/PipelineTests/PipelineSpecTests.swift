import Foundation
import SlipwayTestSupport
import Specs
import Testing

@Suite(.tags(.small))
struct PipelineSpecTests {
    @Test func aFullDefinitionParses() throws {
        let text = """
            name: shop
            source:
              repository: ../shop.git
              branch: main
              poll: 2m
            build:
              image: debian:bookworm
              buildspec: ci/buildspec.yml
              environment:
                MODE: production
              timeout: 10m
              memory: 1G
              network: host
              check: yes
              labels: [large, amd64, large]
            stages:
              - name: staging
                targets: [/srv/staging]
                strategy: all
                health:
                  url: http://localhost:8080/health
              - name: production
                approval: yes
                approval-timeout: 2d
                targets:
                  - ssh://deploy@web1/srv/shop
                  - ssh://deploy@web2:2222/srv/shop
                strategy: half
                app-root: /srv/shop
                keep: 3
            """
        let (spec, diagnostics) = PipelineSpec.parse(contents: text, file: "/p/slipway.yml")
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let s = try #require(spec)
        #expect(s.name == "shop")
        #expect(s.source == .init(repository: "/p/../shop.git", branch: "main", pollInterval: 120))
        #expect(s.build.image == "debian:bookworm" && s.build.buildspec == "ci/buildspec.yml")
        #expect(s.build.environment == ["MODE": "production"] && s.build.timeout == 600 && s.build.limits.memory == .limit(1 << 30))
        #expect(s.build.network == .host && s.build.check && s.build.labels == ["amd64", "large"])
        #expect(s.stages.map(\.name) == ["staging", "production"])
        #expect(s.stages[0].strategy == .all && s.stages[0].health?.url == "http://localhost:8080/health")
        #expect(s.stages[1].approval && s.stages[1].strategy == .half && s.stages[1].keep == 3 && s.stages[1].appRoot == "/srv/shop")
        #expect(s.stages[1].approvalTimeout == 2 * 86400 && s.stages[0].approvalTimeout == nil)
        #expect(s.targets.count == 3)
    }

    @Test func defaultsNeedNothingButStages() throws {
        let (spec, diagnostics) = PipelineSpec.parse(contents: "stages:\n  - name: live\n    targets: [out]\n", file: "/work/app/slipway.yml")
        #expect(diagnostics.isEmpty)
        #expect(spec?.name == "app" && spec?.source.repository == "/work/app" && spec?.source.branch == nil)
        #expect(spec?.build.image == PipelineSpec.defaultImage && spec?.stages.first?.targets == ["/work/app/out"])
        #expect(spec?.build.network == PipelineSpec.Network.none && spec?.build.check == false)
    }

    /// A definition stored before the build's `network` setting existed still loads.
    @Test func storedDefinitionsWithoutNetworkDecode() throws {
        var build = try JSONSerialization.jsonObject(with: JSONEncoder().encode(PipelineSpec.Build())) as! [String: Any]
        build.removeValue(forKey: "network")
        let decoded = try JSONDecoder().decode(PipelineSpec.Build.self, from: JSONSerialization.data(withJSONObject: build))
        #expect(decoded == PipelineSpec.Build())
    }

    @Test func errorsNameLineColumnAndKeyPath() {
        let text = """
            name: bad name
            sauce: {}
            source:
              poll: never
            build:
              memory: lots
              network: wifi
              check: sometimes
              labels: [large, "not ok"]
            stages:
              - name: live
                strategy: sideways
                health: {}
              - targets: [ftp://x/y]
            """
        let (spec, diagnostics) = PipelineSpec.parse(contents: text, file: "slipway.yml")
        #expect(spec == nil)
        let lines = diagnostics.map(\.description)
        for expected in [
            "slipway.yml:1:7: error: 'bad name' is not a pipeline name",
            "slipway.yml:2:1: warning: unknown key 'sauce'; it is ignored (sauce)",
            "slipway.yml:4:9: error: 'never' is not a duration",
            "slipway.yml:6:11: error: 'lots' is not a memory size",
            "slipway.yml:7:12: error: unknown network 'wifi': use none (loopback only) or host",
            "slipway.yml:8:10: error: expected yes or no, found 'sometimes' (build.check)",
            "slipway.yml:9:11: error: 'not ok' is not a worker label (letters, digits, '.', '_' and '-') (build.labels[1])",
            "slipway.yml:11:5: error: the stage has no targets (stages[0].targets)",
            "slipway.yml:12:15: error: unknown strategy 'sideways'",
            "slipway.yml:13:13: error: give a url or a command (stages[0].health)",
            "slipway.yml:14:5: error: the stage has no 'name' (stages[1])",
            "slipway.yml:14:14: error: target 'ftp://x/y' is neither a directory nor ssh://",
        ] {
            #expect(lines.contains { $0.hasPrefix(expected) }, "\(expected) not in \(lines)")
        }
    }

    @Test func brokenYAMLIsOneError() {
        let (spec, diagnostics) = PipelineSpec.parse(contents: "stages: [\n", file: "slipway.yml")
        #expect(spec == nil && diagnostics.count == 1 && diagnostics[0].description.contains("invalid YAML"))
    }
}
