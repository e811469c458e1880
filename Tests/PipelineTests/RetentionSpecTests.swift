import Foundation
import Specs
import Testing

/// `retention:` in slipway.yml: values, defaults, errors, and the stored definition.
@Suite(.tags(.small))
struct RetentionSpecTests {
    static let stages = "stages:\n  - name: live\n    targets: [/srv/app]\n"

    func parse(_ retention: String) -> (PipelineSpec?, [Diagnostic]) {
        PipelineSpec.parse(contents: retention + Self.stages, file: "/app/slipway.yml")
    }

    @Test func valuesAndDefaults() throws {
        let (plain, none) = parse("")
        #expect(none.isEmpty)
        #expect(plain?.retention == PipelineSpec.Retention(runs: 50, days: 30, maxLogBytes: 50 << 20))

        let (given, diagnostics) = parse("retention:\n  runs: 10\n  days: 0.5\n  max-log-size: 2M\n")
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        #expect(given?.retention == PipelineSpec.Retention(runs: 10, days: 0.5, maxLogBytes: 2 << 20))

        let (unlimited, _) = parse("retention: { runs: unlimited, days: unlimited }\n")
        #expect(unlimited?.retention == PipelineSpec.Retention(runs: nil, days: nil))
        let (partly, _) = parse("retention: { days: 7 }\n")
        #expect(partly?.retention == PipelineSpec.Retention(runs: 50, days: 7))
    }

    @Test func badValuesNameTheirLineAndKey() {
        let (spec, diagnostics) = parse("retention:\n  runs: 0\n  days: -1\n  max-log-size: 12\n  keep: 3\n")
        #expect(spec == nil)
        let lines = diagnostics.map(\.description)
        #expect(lines.contains { $0.hasPrefix("/app/slipway.yml:2:9: error: runs must be a whole number, 1 or more") && $0.hasSuffix("(retention.runs)") })
        #expect(lines.contains { $0.hasPrefix("/app/slipway.yml:3:9: error: days must be a number of days above 0") && $0.hasSuffix("(retention.days)") })
        #expect(lines.contains { $0.hasPrefix("/app/slipway.yml:4:17: error: '12' is not a size of at least 1K") })
        #expect(lines.contains { $0.contains(":5:3: warning:") && $0.contains("keep") })
    }

    /// A stored definition keeps "unlimited" (null) apart from "not given" (the default), and
    /// one stored before retention existed reads as the defaults.
    @Test func storedDefinitionsRoundTrip() throws {
        var spec = PipelineSpec(name: "shop", source: .init(repository: "/srv/git/shop.git"))
        spec.retention = PipelineSpec.Retention(runs: nil, days: 14, maxLogBytes: 1 << 20)
        let data = try JSONEncoder().encode(spec)
        #expect(try JSONDecoder().decode(PipelineSpec.self, from: data) == spec)
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        object["retention"] = nil
        let older = try JSONDecoder().decode(PipelineSpec.self, from: try JSONSerialization.data(withJSONObject: object))
        #expect(older.retention == PipelineSpec.Retention())
        let partial = try JSONDecoder().decode(PipelineSpec.Retention.self, from: Data(#"{"days": null}"#.utf8))
        #expect(partial == PipelineSpec.Retention(runs: 50, days: nil))
    }
}
