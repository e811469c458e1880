import Foundation
import Yams

extension BuildSpecParser {
    static let artifactKeys = ["files", "name", "discard-paths", "base-directory", "exclude-paths", "enable-symlinks", "s3-prefix", "secondary-artifacts"]
    static let reportKeys = ["files", "base-directory", "discard-paths", "file-format"]
    static let cacheKeys = ["paths", "key", "fallback-keys", "action"]
    static let batchKeys = ["fast-fail", "build-list", "build-graph", "build-matrix"]
    static let batchEntryKeys = ["identifier", "buildspec", "env", "depend-on", "ignore-failure", "debug-session"]

    func artifacts(_ node: Node, _ path: String, secondaryAllowed: Bool) -> ArtifactSpec? {
        guard let entries = reader.mapping(node, path) else { return nil }
        let keys = reader.checkKeys(entries, known: Self.artifactKeys, path)
        var spec = ArtifactSpec(location: location(node, path))
        if let files = keys["files"] {
            spec.files = reader.strings(files.value, path + ".files") ?? []
        }
        if let name = keys["name"], !reader.isNull(name.value) { spec.name = reader.string(name.value, path + ".name") }
        if let base = keys["base-directory"], !reader.isNull(base.value) {
            spec.baseDirectory = reader.string(base.value, path + ".base-directory")
        }
        if let discard = keys["discard-paths"] { spec.discardPaths = bool(discard.value, path + ".discard-paths") }
        if let exclude = keys["exclude-paths"] { spec.excludePaths = reader.strings(exclude.value, path + ".exclude-paths") ?? [] }
        if let symlinks = keys["enable-symlinks"] { spec.enableSymlinks = bool(symlinks.value, path + ".enable-symlinks") }
        if let prefix = keys["s3-prefix"] {
            reader.warning("s3-prefix is ignored: artifacts go to Slipway's store", at: prefix.keyNode, path + ".s3-prefix")
        }
        if let secondary = keys["secondary-artifacts"] {
            if !secondaryAllowed {
                reader.error("secondary-artifacts cannot be nested", at: secondary.keyNode, path + ".secondary-artifacts")
            } else if let items = reader.mapping(secondary.value, path + ".secondary-artifacts") {
                for item in items {
                    let itemPath = path + ".secondary-artifacts." + item.key
                    if let artifact = artifacts(item.value, itemPath, secondaryAllowed: false) {
                        spec.secondary.append((item.key, artifact))
                    }
                }
            }
        }
        if spec.files.isEmpty && (secondaryAllowed == false || spec.secondary.isEmpty) {
            reader.error("artifacts need 'files': list the files to keep, e.g. '**/*'", at: node, path + ".files")
        }
        return spec
    }

    func reports(_ node: Node) -> [ReportGroupSpec] {
        guard let groups = reader.mapping(node, "reports") else { return [] }
        return groups.compactMap { group in
            let path = "reports." + group.key
            guard let entries = reader.mapping(group.value, path) else { return nil }
            let keys = reader.checkKeys(entries, known: Self.reportKeys, path)
            var report = ReportGroupSpec(name: group.key, files: [])
            report.files = keys["files"].flatMap { reader.strings($0.value, path + ".files") } ?? []
            if report.files.isEmpty {
                reader.error("report group '\(group.key)' needs 'files'", at: group.keyNode, path + ".files")
            }
            if let base = keys["base-directory"], !reader.isNull(base.value) {
                report.baseDirectory = reader.string(base.value, path + ".base-directory")
            }
            if let discard = keys["discard-paths"] { report.discardPaths = bool(discard.value, path + ".discard-paths") }
            if let format = keys["file-format"], let text = reader.string(format.value, path + ".file-format") {
                // Case-insensitive: real files write `JunitXml`.
                if let value = ReportGroupSpec.Format(rawValue: text.uppercased()) {
                    report.format = value
                    if value != .junitXML {
                        reader.warning("\(text) reports are collected but only JUnit XML is summarised", at: format.value, path + ".file-format")
                    }
                } else {
                    let known = ReportGroupSpec.Format.allCases.map(\.rawValue).joined(separator: ", ")
                    reader.error("unknown report file-format '\(text)': use one of \(known)", at: format.value, path + ".file-format")
                }
            }
            return report
        }
    }

    func cache(_ node: Node) -> CacheSpec? {
        guard let entries = reader.mapping(node, "cache") else { return nil }
        let keys = reader.checkKeys(entries, known: Self.cacheKeys, "cache")
        var cache = CacheSpec()
        cache.paths = keys["paths"].flatMap { reader.strings($0.value, "cache.paths") } ?? []
        if cache.paths.isEmpty {
            reader.warning("cache has no paths: nothing is cached", at: keys["paths"]?.keyNode ?? node, "cache.paths")
        }
        if let key = keys["key"], !reader.isNull(key.value) {
            cache.key = reader.string(key.value, "cache.key")
            // The key is needed before the build starts, outside its shell.
            if let text = cache.key, text.contains("$(") || text.contains("`") {
                reader.warning("command substitution in a cache key is not run: only $VARIABLES from the build's starting environment are expanded", at: key.value, "cache.key")
            }
        }
        if let fallback = keys["fallback-keys"] { cache.fallbackKeys = reader.strings(fallback.value, "cache.fallback-keys") ?? [] }
        if let action = keys["action"], let text = reader.string(action.value, "cache.action") {
            if let value = CacheSpec.Action(rawValue: text) {
                cache.action = value
            } else {
                reader.error("cache action must be 'restore' or 'save', not '\(text)'", at: action.value, "cache.action")
            }
        }
        if !cache.fallbackKeys.isEmpty && cache.key == nil {
            reader.warning("fallback-keys without a key: the cache is only restored by prefix", at: keys["fallback-keys"]?.keyNode, "cache.fallback-keys")
        }
        return cache
    }

    func batch(_ node: Node, _ keyNode: Node) -> BatchSpec? {
        guard let entries = reader.mapping(node, "batch") else { return nil }
        let keys = reader.checkKeys(entries, known: Self.batchKeys, "batch")
        let kinds = [BatchSpec.Kind.buildList, .buildGraph, .buildMatrix].filter { keys[$0.rawValue] != nil }
        guard let kind = kinds.first else {
            reader.error("batch needs one of build-list, build-graph or build-matrix", at: keyNode, "batch")
            return nil
        }
        if kinds.count > 1 {
            reader.error("batch may hold only one of build-list, build-graph and build-matrix", at: keyNode, "batch")
        }
        var batch = BatchSpec(kind: kind, location: location(keyNode, "batch"))
        if let fastFail = keys["fast-fail"] { batch.fastFail = bool(fastFail.value, "batch.fast-fail") }
        let path = "batch." + kind.rawValue
        if kind == .buildMatrix, let matrix = keys[kind.rawValue] {
            batch.entries = matrixEntries(matrix.value, path)
            return batch
        }
        guard let list = keys[kind.rawValue], let items = reader.sequence(list.value, path) else { return batch }
        var warned = false
        for (i, item) in items.enumerated() {
            let itemPath = "\(path)[\(i)]"
            guard let fields = reader.mapping(item, itemPath) else { continue }
            let k = reader.checkKeys(fields, known: Self.batchEntryKeys, itemPath)
            guard let id = k["identifier"].flatMap({ reader.string($0.value, itemPath + ".identifier") }) else {
                reader.error("each batch build needs an identifier", at: item, itemPath)
                continue
            }
            var entry = BatchSpec.Entry(identifier: id)
            entry.buildspec = k["buildspec"].flatMap { reader.string($0.value, itemPath + ".buildspec") }
            entry.dependOn = k["depend-on"].flatMap { reader.strings($0.value, itemPath + ".depend-on") } ?? []
            if let ignore = k["ignore-failure"] { entry.ignoreFailure = bool(ignore.value, itemPath + ".ignore-failure") }
            if let debug = k["debug-session"] { ignoredDebugSession(debug.keyNode, itemPath) }
            if let env = k["env"], let envEntries = reader.mapping(env.value, itemPath + ".env") {
                for e in envEntries where e.key == "variables" {
                    for v in namedValues(e.value, itemPath + ".env.variables") { entry.variables[v.name] = v.value }
                }
                ignoredComputeSettings(envEntries, itemPath + ".env", warned: &warned)
            }
            batch.entries.append(entry)
        }
        let ids = Set(batch.entries.map(\.identifier))
        for entry in batch.entries {
            for dependency in entry.dependOn where !ids.contains(dependency) {
                reader.error("'\(entry.identifier)' depends on '\(dependency)', which is not in the batch", at: keys[kind.rawValue]?.value, path)
            }
        }
        return batch
    }

    /// `build-matrix`: one build per combination of the `dynamic` buildspecs and variable
    /// values, named `build1`, `build2`, ... in order; `static.ignore-failure` applies to all.
    private func matrixEntries(_ node: Node, _ path: String) -> [BatchSpec.Entry] {
        guard let sections = reader.mapping(node, path) else { return [] }
        let keys = reader.checkKeys(sections, known: ["static", "dynamic"], path)
        var ignoreFailure = false
        var warned = false
        var fixedVariables: [String: String] = [:]
        if let fixed = keys["static"], let fields = reader.mapping(fixed.value, path + ".static") {
            let k = reader.checkKeys(fields, known: ["ignore-failure", "env", "debug-session"], path + ".static")
            if let ignore = k["ignore-failure"] { ignoreFailure = bool(ignore.value, path + ".static.ignore-failure") }
            if let debug = k["debug-session"] { ignoredDebugSession(debug.keyNode, path + ".static") }
            if let env = k["env"], let envEntries = reader.mapping(env.value, path + ".static.env") {
                for e in envEntries where e.key == "variables" {
                    for v in namedValues(e.value, path + ".static.env.variables") { fixedVariables[v.name] = v.value }
                }
                ignoredComputeSettings(envEntries, path + ".static.env", warned: &warned)
            }
        }
        var buildspecs: [String?] = [nil]
        var axes: [(name: String, values: [String])] = []
        if let dynamic = keys["dynamic"], let fields = reader.mapping(dynamic.value, path + ".dynamic") {
            let k = reader.checkKeys(fields, known: ["buildspec", "env"], path + ".dynamic")
            if let specs = k["buildspec"], let list = reader.strings(specs.value, path + ".dynamic.buildspec"), !list.isEmpty {
                buildspecs = list
            }
            if let env = k["env"], let envFields = reader.mapping(env.value, path + ".dynamic.env") {
                if let variables = envFields.first(where: { $0.key == "variables" }),
                   let names = reader.mapping(variables.value, path + ".dynamic.env.variables") {
                    for entry in names {
                        let values = reader.strings(entry.value, path + ".dynamic.env.variables." + entry.key) ?? []
                        if !values.isEmpty { axes.append((entry.key, values)) }
                    }
                }
                ignoredComputeSettings(envFields, path + ".dynamic.env", warned: &warned)
            }
        }
        var combinations: [[String: String]] = [fixedVariables]
        for axis in axes {
            combinations = combinations.flatMap { partial in axis.values.map { partial.merging([axis.name: $0]) { _, new in new } } }
        }
        var entries: [BatchSpec.Entry] = []
        for buildspec in buildspecs {
            for variables in combinations {
                entries.append(.init(identifier: "build\(entries.count + 1)", buildspec: buildspec, variables: variables,
                                     ignoreFailure: ignoreFailure))
            }
        }
        return entries
    }

    /// A batch entry's `env` keys other than `variables`: Windows environments are refused;
    /// image and compute settings are not honoured (every batch build runs on the build's own
    /// image and limits), said once per batch, at the first place that sets one.
    private func ignoredComputeSettings(_ env: [SpecReader.Entry], _ path: String, warned: inout Bool) {
        for e in env {
            switch e.key {
            case "type":
                if let type = reader.string(e.value, path + ".type"), type.uppercased().hasPrefix("WINDOWS") {
                    reader.error("'\(type)' is a Windows environment; Slipway runs Linux builds only", at: e.value, path + ".type")
                }
            case "image", "compute-type", "privileged-mode", "fleet":
                if !warned {
                    warned = true
                    reader.warning("batch builds run on the build's image with its limits; '\(e.key)' and the other compute settings of batch entries are ignored", at: e.keyNode, path + "." + e.key)
                }
            default: break
            }
        }
    }

    private func ignoredDebugSession(_ keyNode: Node, _ path: String) {
        reader.warning("debug-session is a CodeBuild console feature; Slipway ignores it", at: keyNode, path + ".debug-session")
    }
}
