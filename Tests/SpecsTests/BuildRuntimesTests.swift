import Specs
import Testing
import SlipwayTestSupport

@Suite("slipway.yml build.runtimes", .tags(.small))
struct BuildRuntimesTests {
    @Test("runtimes map runtime names to images; an unknown runtime warns")
    func parse() {
        let (spec, diagnostics) = PipelineSpec.parse(contents: """
            build:
              runtimes:
                nodejs: "node:{version}"
                python: python:3.12-slim
                fortran: gfortran:1
            """, file: "slipway.yml")
        #expect(spec?.build.runtimes["nodejs"] == "node:{version}")
        #expect(spec?.build.runtimes["python"] == "python:3.12-slim")
        #expect(diagnostics.contains { $0.severity == .warning && $0.keyPath == "build.runtimes.fortran" && $0.description.hasPrefix("slipway.yml:5:") })
    }

    @Test("an empty image is a positioned error")
    func empty() {
        let (_, diagnostics) = PipelineSpec.parse(contents: "build:\n  runtimes:\n    nodejs: \"\"\n", file: "slipway.yml")
        #expect(diagnostics.contains { $0.severity == .error && $0.keyPath == "build.runtimes.nodejs" && $0.description.hasPrefix("slipway.yml:3:") })
    }
}
