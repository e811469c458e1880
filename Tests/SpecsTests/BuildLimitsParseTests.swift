import Foundation
import Specs
import Testing

/// `build.limits` and `build.seccomp` in slipway.yml.
@Suite("Build limits in slipway.yml", .tags(.small))
struct BuildLimitsParseTests {
    static func parse(_ build: String) -> (PipelineSpec?, [String]) {
        let text = "build:\n" + build.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\nstages:\n  - name: live\n    targets: [out]\n"
        let (spec, diagnostics) = PipelineSpec.parse(contents: text, file: "/p/slipway.yml")
        return (spec, diagnostics.map(\.description))
    }

    @Test("every limit, sizes and counts as written, unlimited lifting one; unset ones stay for the defaults")
    func limits() throws {
        let (spec, diagnostics) = Self.parse("""
            limits:
              memory: 2G
              pids: 1024
              cpus: 1.5
              tmp-size: 512M
              upper-size: unlimited
            seccomp: unconfined
            """)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let limits = try #require(spec).build.limits
        #expect(limits == BuildLimits(memory: .limit(2 << 30), pids: .limit(1024), cpus: .limit(1.5), tmpSize: .limit(512 << 20), upperSize: .unlimited))
        #expect(spec?.build.seccomp == .unconfined)
        let (plain, _) = Self.parse("image: busybox")
        #expect(plain?.build.limits == BuildLimits() && plain?.build.seccomp == .default)
        #expect(Self.parse("memory: unlimited").0?.build.limits.memory == .unlimited)
    }

    @Test("bad values are named with file, line, column and key path")
    func errors() {
        let (spec, diagnostics) = Self.parse("""
            limits:
              memory: 1K
              pids: 0
              cpus: lots
              tmp-size: 12
              swap: 1G
            seccomp: off
            """)
        #expect(spec == nil)
        let text = diagnostics.joined(separator: "\n")
        #expect(text.contains("slipway.yml:3:13: error: '1K' is not a memory size of at least 4M"), "\(text)")
        #expect(text.contains("'0' is not a number of processes (1 or more) or unlimited (build.limits.pids)"), "\(text)")
        #expect(text.contains("'lots' is not a number of CPUs"))
        #expect(text.contains("'12' is not a size of at least 1M (e.g. 512M, 2G) or unlimited (build.limits.tmp-size)"))
        #expect(text.contains("warning") && text.contains("swap"))
        #expect(text.contains("unknown seccomp setting 'off'"))
    }

    @Test("sizes are read as the flags read them: fractions, T and iB; one past Int64 is an error, not a crash")
    func sizesAsTheFlagsReadThem() throws {
        let (spec, diagnostics) = Self.parse("limits:\n  memory: 1.5G\n  tmp-size: 512MiB\n  upper-size: 1T")
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let limits = try #require(spec).build.limits
        #expect(limits.memory == .limit(3 << 29) && limits.tmpSize == .limit(512 << 20) && limits.upperSize == .limit(1 << 40))
        let (huge, errors) = Self.parse("limits:\n  upper-size: 99999999999T")
        #expect(huge == nil)
        #expect(errors.contains { $0.contains("'99999999999T' is not a size of at least 1M") }, "\(errors)")
    }

    @Test("the memory limit is given once")
    func memoryOnce() {
        let (spec, diagnostics) = Self.parse("memory: 1G\nlimits:\n  pids: 10")
        #expect(spec == nil)
        #expect(diagnostics.contains { $0.contains("give the memory limit once") })
    }

    @Test("definitions stored with the older memoryBytes key keep their memory limit")
    func storedDefinitions() throws {
        var build = try JSONSerialization.jsonObject(with: JSONEncoder().encode(PipelineSpec.Build())) as! [String: Any]
        build.removeValue(forKey: "limits")
        build.removeValue(forKey: "seccomp")
        build["memoryBytes"] = 1 << 30
        let decoded = try JSONDecoder().decode(PipelineSpec.Build.self, from: JSONSerialization.data(withJSONObject: build))
        #expect(decoded.limits.memory == .limit(1 << 30) && decoded.seccomp == .default)
        let round = try JSONDecoder().decode(PipelineSpec.Build.self, from: JSONEncoder().encode(decoded))
        #expect(round == decoded)
    }
}
