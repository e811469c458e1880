import Foundation
import Specs

/// The environment a build starts with, in increasing precedence: the buildspec's literal
/// `env.variables`, project settings, run-time overrides, secrets; then the built-in
/// `CODEBUILD_*` variables and the fixed settings that make builds reproducible.
struct BuildVariables {
    static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// Names and values in the order they are set (later wins).
    var ordered: [(String, String)] = []

    /// The values the result cache keys on: everything except what differs per run and
    /// secret values (which variables hold secrets is keyed on instead, by the caller).
    var effective: [String: String] = [:]

    init(spec: BuildSpec, request: BuildRequest, secrets: [String: String], builtins: [String: String],
         perRun: Set<String>) {
        var values: [String: String] = ["PATH": Self.defaultPath]
        for (name, value) in spec.env.variables { values[name] = value }
        for (name, value) in request.projectEnvironment { values[name] = value }
        for (name, value) in request.environment { values[name] = value }
        for (name, value) in secrets { values[name] = value }
        for (name, value) in builtins { values[name] = value }
        ordered = values.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        effective = values.filter { !perRun.contains($0.key) && secrets[$0.key] == nil }
    }

    var dictionary: [String: String] { Dictionary(uniqueKeysWithValues: ordered) }
}
