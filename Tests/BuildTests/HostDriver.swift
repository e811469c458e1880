import Foundation
import SlipwayTestSupport
import Specs
import Synchronization
@testable import Build

/// Runs a buildspec's generated scripts with the host's /bin/sh (no sandbox): enough to pin
/// down the shell semantics (state model, failure rules) in fast tests.
struct HostDriver {
    struct Run {
        var lines: [String]
        var phases: [PhaseResult]
        var expanded: [String]
        var exported: [String: String]
        var state: PhaseTracker.State
        var output: String { lines.joined(separator: "\n") }
        func status(_ phase: BuildPhase.Name) -> BuildStatus? { phases.first { $0.phase == phase }?.status }
    }

    /// `phases` (the body of the `phases:` mapping, written from column 0) in a buildspec of
    /// `version`, with `env` (the body of its `env:` mapping) if given.
    static func run(phases: String, env: String? = nil, version: String = "0.2", environment: [(String, String)] = []) throws -> Run {
        try run(BuildspecText.make(phases: phases, env: env, version: version), environment: environment)
    }

    static func run(_ yaml: String, environment: [(String, String)] = [], files: [String: String] = [:]) throws -> Run {
        let (spec, diagnostics) = BuildSpec.parse(contents: yaml, file: "buildspec.yml")
        guard let spec else { throw TestFailure("buildspec rejected: \(diagnostics)") }
        let directory = try TemporaryDirectory("slipway-host")
        let root = directory.path
        let control = root + "/control", src = root + "/src"
        try FileManager.default.createDirectory(atPath: control + "/cmd", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: src, withIntermediateDirectories: true)
        for (path, text) in files {
            try FileManager.default.createDirectory(atPath: ((src + "/" + path) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: src + "/" + path, atomically: true, encoding: .utf8)
        }
        let plan = OutputPlan(spec: spec)
        var script = BuildScript(spec: spec, nonce: "@@test-nonce")
        script.controlDirectory = control
        script.sourceDirectory = src
        script.expansions = plan.expansions
        let env = [("CODEBUILD_SRC_DIR", src), ("PATH", BuildVariables.defaultPath), ("HOME", root)] + environment
        for (name, text) in script.files(initialEnvironment: env) {
            try text.write(toFile: control + "/" + name, atomically: true, encoding: .utf8)
        }
        let lines = Mutex<[String]>([])
        let log = try BuildLog(path: root + "/build.log", masker: SecretMasker(secrets: []), sink: { event in
            if case let .log(text, _) = event { lines.withLock { $0.append(text) } }
        })
        let tracker = PhaseTracker(spec: spec, nonce: "@@test-nonce", log: log, events: { _ in })
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [control + "/driver.sh"]
        process.currentDirectoryURL = URL(fileURLWithPath: src)
        process.environment = ["PATH": BuildVariables.defaultPath]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
            tracker.receive(String(line))
        }
        log.close()
        let expanded = OutputPlan.readExpanded(control + "/expanded")
        var exported: [String: String] = [:]
        for (name, index) in plan.exported where index < expanded.count { exported[name] = expanded[index] }
        return Run(lines: lines.withLock { $0 }, phases: tracker.results(interrupted: .failed), expanded: expanded,
                   exported: exported, state: tracker.state.withLock { $0 })
    }
}
