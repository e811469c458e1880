import Foundation
import Specs

/// Everything that is read at the end of a build with the build's final variables:
/// artifact and report paths, artifact names, exported variables. The texts are expanded by
/// the shell in the sandbox (`BuildScript.collect`), in this order.
struct OutputPlan {
    struct Artifact {
        var id: String
        var spec: ArtifactSpec
        var files: [Int]
        var baseDirectory: Int?
        var excludePaths: [Int]
        var name: Int?
    }

    struct Report {
        var spec: ReportGroupSpec
        var files: [Int]
        var baseDirectory: Int?
    }

    private(set) var expansions: [(text: String, exportRoot: Bool)] = []
    private(set) var artifacts: [Artifact] = []
    private(set) var reports: [Report] = []
    private(set) var exported: [(name: String, index: Int)] = []

    init(spec: BuildSpec) {
        if let primary = spec.artifacts {
            if !primary.files.isEmpty { artifacts.append(artifact("primary", primary)) }
            for (id, secondary) in primary.secondary { artifacts.append(artifact(id, secondary)) }
        }
        for report in spec.reports {
            let base = report.baseDirectory.map { add($0, exportRoot: true) }
            let files = report.files.map { add($0, exportRoot: base == nil) }
            reports.append(Report(spec: report, files: files, baseDirectory: base))
        }
        // A secret is never exported: later stages would see it unmasked (the parser warns).
        let secrets = Set(spec.env.secrets.map(\.variable))
        for name in spec.env.exportedVariables where !secrets.contains(name) {
            exported.append((name, add("${\(name)-}", exportRoot: false)))
        }
    }

    private mutating func artifact(_ id: String, _ spec: ArtifactSpec) -> Artifact {
        let base = spec.baseDirectory.map { add($0, exportRoot: true) }
        let files = spec.files.map { add($0, exportRoot: base == nil) }
        let excludes = spec.excludePaths.map { add($0, exportRoot: false) }
        let name = spec.name.map { add($0, exportRoot: false) }
        return Artifact(id: id, spec: spec, files: files, baseDirectory: base, excludePaths: excludes, name: name)
    }

    private mutating func add(_ text: String, exportRoot: Bool) -> Int {
        expansions.append((text, exportRoot))
        return expansions.count - 1
    }

    /// Reads the NUL-separated values the collect script wrote.
    static func readExpanded(_ path: String) -> [String] {
        // O_NOFOLLOW: the build can write the control directory, so it could leave a link here.
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        let data = FileHandle(fileDescriptor: fd, closeOnDealloc: true).readDataToEndOfFile()
        var values = data.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        if values.last == "" { values.removeLast() }
        return values
    }
}
