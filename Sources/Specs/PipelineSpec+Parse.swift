import Foundation
import Yams

extension PipelineSpec {
    /// Parses `slipway.yml`. A relative `source.repository` is taken against `directory` (the
    /// file's directory by default). Returns the spec when there are no errors, and every
    /// finding with file, line, column and key path; unknown keys warn.
    public static func parse(contents: String, file: String, directory: String? = nil) -> (spec: PipelineSpec?, diagnostics: [Diagnostic]) {
        let helper = BuildSpecParser(file: file)
        let base = directory ?? (file as NSString).deletingLastPathComponent
        guard let root = helper.reader.parse(contents) else { return (nil, helper.reader.diagnostics) }
        let spec = PipelineSpecParser(helper: helper, base: base).parse(root)
        let diagnostics = helper.reader.diagnostics.inLineOrder
        return (diagnostics.hasErrors ? nil : spec, diagnostics)
    }

    /// Reads and parses a `slipway.yml`; throws `badInput` with every error as FILE:LINE:COL.
    public static func load(file: String, directory: String? = nil) throws -> (spec: PipelineSpec, warnings: [Diagnostic]) {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw SpecError.unreadable(file)
        }
        let (spec, diagnostics) = parse(contents: String(decoding: data, as: UTF8.self), file: file, directory: directory)
        guard let spec else { throw SpecError.invalid(diagnostics.filter { $0.severity == .error }) }
        return (spec, diagnostics)
    }

    /// A pipeline name: it appears in paths, URLs and build ids.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 100 && !name.hasPrefix(".") && !name.hasPrefix("-")
            && name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)) }
    }
}

/// Why a spec file could not be used.
public enum SpecError: Error, CustomStringConvertible, Sendable {
    case unreadable(String)
    case invalid([Diagnostic])

    public var description: String {
        switch self {
        case let .unreadable(file): return "\(file): cannot read the file"
        case let .invalid(diagnostics): return diagnostics.map(\.description).joined(separator: "\n")
        }
    }
}

/// Walks a `slipway.yml`'s nodes, recording findings in the buildspec parser's reader (whose
/// small readers, for yes/no values and variable maps, it shares).
struct PipelineSpecParser {
    let helper: BuildSpecParser
    let base: String
    var reader: SpecReader { helper.reader }

    static let topLevelKeys = ["name", "source", "build", "stages", "schedule", "notify", "retention"]
    static let sourceKeys = ["repository", "branch", "poll"]
    static let buildKeys = ["image", "buildspec", "environment", "secrets", "timeout", "memory", "limits", "seccomp", "network", "runtimes", "deploy-from", "check", "labels"]
    /// The runtimes CodeBuild's `runtime-versions` knows.
    static let runtimeNames: Set<String> = ["android", "dotnet", "golang", "java", "nodejs", "php", "python", "ruby"]
    static let stageKeys = ["name", "targets", "strategy", "minimum-healthy-hosts", "drain", "undrain", "health", "approval", "approval-timeout",
                            "app-root", "keep", "environment", "grace"]
    static let scheduleKeys = ["cron", "timezone"]
    static let notifyKeys = ["url", "url-secret", "slack", "slack-secret", "secret", "events"]
    static let healthKeys = ["url", "command", "timeout"]

    func parse(_ root: Node) -> PipelineSpec? {
        guard let entries = reader.mapping(root, "") else { return nil }
        let keys = reader.checkKeys(entries, known: Self.topLevelKeys, "")
        var name = (base as NSString).lastPathComponent
        if let entry = keys["name"], let text = reader.string(entry.value, "name") {
            if PipelineSpec.isValidName(text) { name = text } else {
                reader.error("'\(text)' is not a pipeline name: use letters, digits, '-', '_' and '.'", at: entry.value, "name")
            }
        }
        var spec = PipelineSpec(name: PipelineSpec.isValidName(name) ? name : "pipeline", source: .init(repository: base))
        if let entry = keys["source"], !reader.isNull(entry.value) { spec.source = source(entry.value) }
        if let entry = keys["build"], !reader.isNull(entry.value) { spec.build = build(entry.value) }
        if let entry = keys["stages"], !reader.isNull(entry.value), let items = reader.sequence(entry.value, "stages") {
            spec.stages = items.enumerated().compactMap { stage($1, "stages[\($0)]") }
            var seen: Set<String> = []
            for (i, stage) in spec.stages.enumerated() where !seen.insert(stage.name).inserted {
                reader.error("duplicate stage name '\(stage.name)'", at: items[i], "stages[\(i)].name")
            }
        }
        if let entry = keys["schedule"], !reader.isNull(entry.value) { spec.schedule = schedule(entry.value) }
        if let entry = keys["notify"], !reader.isNull(entry.value), let items = reader.sequence(entry.value, "notify") {
            spec.notify = items.enumerated().compactMap { notification($1, "notify[\($0)]") }
        }
        if let entry = keys["retention"], !reader.isNull(entry.value) { spec.retention = retention(entry.value) }
        return spec
    }

    /// `"0 3 * * *"` (UTC) or `{cron: "0 3 * * *", timezone: Europe/Berlin}`.
    private func schedule(_ node: Node) -> CronSchedule? {
        var expression: (String, Node)?
        var zone = "UTC"
        let scalar: Bool
        if case .scalar = node { scalar = true } else { scalar = false }
        if scalar, let text = reader.string(node, "schedule") {
            expression = (text, node)
        } else if let entries = reader.mapping(node, "schedule") {
            let keys = reader.checkKeys(entries, known: Self.scheduleKeys, "schedule")
            if let entry = keys["cron"], let text = reader.string(entry.value, "schedule.cron") { expression = (text, entry.value) }
            else if keys["cron"] == nil { reader.error("the schedule has no 'cron'", at: node, "schedule") }
            if let entry = keys["timezone"], let text = reader.string(entry.value, "schedule.timezone") { zone = text }
        }
        guard let (text, at) = expression else { return nil }
        do { return try CronSchedule(text, timeZone: zone) } catch {
            reader.error(error.description, at: at, scalar ? "schedule" : "schedule.cron")
            return nil
        }
    }

    private func notification(_ node: Node, _ path: String) -> PipelineSpec.Notification? {
        guard let entries = reader.mapping(node, path) else { return nil }
        let keys = reader.checkKeys(entries, known: Self.notifyKeys, path)
        let given = ["url", "url-secret", "slack", "slack-secret"].filter { keys[$0] != nil }
        guard given.count == 1, let key = given.first, let entry = keys[key], let text = reader.string(entry.value, path + "." + key) else {
            reader.error("give exactly one of url, url-secret, slack or slack-secret", at: node, path)
            return nil
        }
        var notification = PipelineSpec.Notification(format: key.hasPrefix("slack") ? .slack : .json)
        if key.hasSuffix("-secret") { notification.urlSecret = text } else if text.hasPrefix("http://") || text.hasPrefix("https://") {
            notification.url = text
        } else {
            reader.error("'\(text)' is not an http:// or https:// URL", at: entry.value, path + "." + key)
            return nil
        }
        if let entry = keys["secret"], let name = reader.string(entry.value, path + ".secret") {
            if notification.format == .slack {
                reader.warning("Slack-compatible webhooks are not signed; 'secret' is ignored", at: entry.keyNode, path + ".secret")
            } else {
                notification.signingSecret = name
            }
        }
        if let entry = keys["events"], let names = reader.strings(entry.value, path + ".events") {
            var events: [PipelineSpec.Notification.Event] = []
            for (i, name) in names.enumerated() {
                if let event = PipelineSpec.Notification.Event(rawValue: name) { events.append(event) } else {
                    reader.error("unknown event '\(name)': use \(PipelineSpec.Notification.Event.allCases.map(\.rawValue).joined(separator: ", "))",
                                 at: entry.value, "\(path).events[\(i)]")
                }
            }
            notification.events = events
        }
        return notification
    }

    private func source(_ node: Node) -> PipelineSpec.Source {
        var source = PipelineSpec.Source(repository: base)
        guard let entries = reader.mapping(node, "source") else { return source }
        let keys = reader.checkKeys(entries, known: Self.sourceKeys, "source")
        if let entry = keys["repository"], let text = reader.string(entry.value, "source.repository") {
            if text.isEmpty { reader.error("the repository is empty", at: entry.value, "source.repository") }
            source.repository = text.hasPrefix("/") || text.contains("://") || text.contains("@") ? text : base + "/" + text
        }
        if let entry = keys["branch"], let text = reader.string(entry.value, "source.branch") {
            if text.isEmpty || text.hasPrefix("-") || text.contains("..") || text.contains(" ") {
                reader.error("'\(text)' is not a branch name", at: entry.value, "source.branch")
            } else {
                source.branch = text.hasPrefix("refs/heads/") ? String(text.dropFirst(11)) : text
            }
        }
        if let entry = keys["poll"] { source.pollInterval = seconds(entry.value, "source.poll", minimum: 1) }
        return source
    }

    private func build(_ node: Node) -> PipelineSpec.Build {
        var build = PipelineSpec.Build()
        guard let entries = reader.mapping(node, "build") else { return build }
        let keys = reader.checkKeys(entries, known: Self.buildKeys, "build")
        if let entry = keys["image"], let text = reader.string(entry.value, "build.image"), !text.isEmpty { build.image = text }
        if let entry = keys["buildspec"], let text = reader.string(entry.value, "build.buildspec") {
            if text.hasPrefix("/") || text.split(separator: "/").contains("..") {
                reader.error("the buildspec must be a path inside the repository", at: entry.value, "build.buildspec")
            } else {
                build.buildspec = text
            }
        }
        if let entry = keys["environment"] {
            build.environment = Dictionary(helper.namedValues(entry.value, "build.environment").map { ($0.name, $0.value) }) { _, b in b }
        }
        if let entry = keys["secrets"], let pairs = reader.mapping(entry.value, "build.secrets") {
            for pair in pairs {
                let path = "build.secrets." + pair.key
                guard Self.isVariableName(pair.key) else {
                    reader.error("'\(pair.key)' is not an environment variable name (letters, digits and '_', not starting with a digit)", at: pair.keyNode, path)
                    continue
                }
                guard let name = reader.string(pair.value, path), !name.isEmpty else {
                    reader.error("give the name of a stored secret (slipway secret set NAME)", at: pair.value, path)
                    continue
                }
                build.secrets[pair.key] = name
            }
        }
        if let entry = keys["runtimes"], let pairs = reader.mapping(entry.value, "build.runtimes") {
            for pair in pairs {
                let path = "build.runtimes." + pair.key
                if !Self.runtimeNames.contains(pair.key) {
                    reader.warning("'\(pair.key)' is not a runtime runtime-versions knows (\(Self.runtimeNames.sorted().joined(separator: ", "))); it is used only if a buildspec names it", at: pair.keyNode, path)
                }
                guard let image = reader.string(pair.value, path), !image.isEmpty, !image.contains(" ") else {
                    reader.error("give the image that provides \(pair.key), for example \"node:{version}\" ({version} is the version runtime-versions asks for)", at: pair.value, path)
                    continue
                }
                build.runtimes[pair.key] = image
            }
        }
        if let entry = keys["timeout"], let value = seconds(entry.value, "build.timeout", minimum: 1) { build.timeout = value }
        if let entry = keys["memory"], let text = reader.string(entry.value, "build.memory") {
            if let setting = BuildLimits.parseSize(text, minimum: BuildLimits.minimumMemory) { build.limits.memory = setting } else {
                reader.error("'\(text)' is not a memory size of at least 4M (e.g. 512M, 2G) or unlimited", at: entry.value, "build.memory")
            }
        }
        if let entry = keys["limits"], !reader.isNull(entry.value) {
            if keys["memory"] != nil {
                reader.error("give the memory limit once: build.memory or build.limits.memory", at: entry.keyNode, "build.limits")
            }
            build.limits = limits(entry.value)
        }
        if let entry = keys["seccomp"], let text = reader.string(entry.value, "build.seccomp") {
            if let seccomp = PipelineSpec.Seccomp(rawValue: text) { build.seccomp = seccomp } else {
                reader.error("unknown seccomp setting '\(text)': use default (the filter) or unconfined (no filter, for nested containers)",
                             at: entry.value, "build.seccomp")
            }
        }
        if let entry = keys["deploy-from"], let text = reader.string(entry.value, "build.deploy-from") {
            if text.isEmpty { reader.error("give the identifier of a build in the buildspec's batch", at: entry.value, "build.deploy-from") }
            else { build.deployFrom = text }
        }
        if let entry = keys["check"] { build.check = helper.bool(entry.value, "build.check") }
        if let entry = keys["labels"], let labels = reader.strings(entry.value, "build.labels") {
            for (i, label) in labels.enumerated() where !PipelineSpec.Build.isLabel(label) {
                reader.error("'\(label)' is not a worker label (letters, digits, '.', '_' and '-')", at: entry.value, "build.labels[\(i)]")
            }
            build.labels = Array(Set(labels.filter(PipelineSpec.Build.isLabel))).sorted()
        }
        if let entry = keys["network"], let text = reader.string(entry.value, "build.network") {
            if let network = PipelineSpec.Network(rawValue: text) { build.network = network } else {
                reader.error("unknown network '\(text)': use none (loopback only) or host", at: entry.value, "build.network")
            }
        }
        return build
    }

    /// `build.limits`: `{memory: 2G, pids: 1024, cpus: 1.5, tmp-size: 512M, upper-size: 4G}`,
    /// each also `unlimited`.
    private func limits(_ node: Node) -> BuildLimits {
        var limits = BuildLimits()
        guard let entries = reader.mapping(node, "build.limits") else { return limits }
        let keys = reader.checkKeys(entries, known: BuildLimits.keys, "build.limits")
        func text(_ key: String) -> (String, Node)? {
            guard let entry = keys[key], let text = reader.string(entry.value, "build.limits." + key) else { return nil }
            return (text, entry.value)
        }
        if case let (value, at)? = text("memory") {
            limits.memory = BuildLimits.parseSize(value, minimum: BuildLimits.minimumMemory)
            if limits.memory == nil { reader.error("'\(value)' is not a memory size of at least 4M (e.g. 512M, 2G) or unlimited", at: at, "build.limits.memory") }
        }
        if case let (value, at)? = text("pids") {
            limits.pids = BuildLimits.parsePids(value)
            if limits.pids == nil { reader.error("'\(value)' is not a number of processes (1 or more) or unlimited", at: at, "build.limits.pids") }
        }
        if case let (value, at)? = text("cpus") {
            limits.cpus = BuildLimits.parseCPUs(value)
            if limits.cpus == nil { reader.error("'\(value)' is not a number of CPUs (e.g. 0.5, 2) or unlimited", at: at, "build.limits.cpus") }
        }
        for (key, path) in [("tmp-size", \BuildLimits.tmpSize), ("upper-size", \BuildLimits.upperSize)] {
            guard case let (value, at)? = text(key) else { continue }
            limits[keyPath: path] = BuildLimits.parseSize(value, minimum: BuildLimits.minimumSize)
            if limits[keyPath: path] == nil {
                reader.error("'\(value)' is not a size of at least 1M (e.g. 512M, 2G) or unlimited", at: at, "build.limits." + key)
            }
        }
        return limits
    }

    static func isVariableName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return text.unicodeScalars.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
    }

    private func stage(_ node: Node, _ path: String) -> PipelineSpec.DeployStage? {
        guard let entries = reader.mapping(node, path) else { return nil }
        let keys = reader.checkKeys(entries, known: Self.stageKeys, path)
        var stage = PipelineSpec.DeployStage(name: "", targets: [])
        if let entry = keys["name"], let text = reader.string(entry.value, path + ".name") {
            if PipelineSpec.isValidName(text) { stage.name = text } else {
                reader.error("'\(text)' is not a stage name: use letters, digits, '-', '_' and '.'", at: entry.value, path + ".name")
            }
        } else if keys["name"] == nil {
            reader.error("the stage has no 'name'", at: node, path)
        }
        if let entry = keys["targets"], let targets = reader.strings(entry.value, path + ".targets") {
            for (i, target) in targets.enumerated() where target.isEmpty || (target.contains("://") && !target.hasPrefix("ssh://") && !target.hasPrefix("s3://")) {
                reader.error("target '\(target)' is neither a directory nor ssh://[user@]host[:port]/path nor s3://BUCKET[/PREFIX]", at: entry.value, "\(path).targets[\(i)]")
            }
            if targets.contains(where: { $0.hasPrefix("s3://") }) && !targets.allSatisfy({ $0.hasPrefix("s3://") }) {
                reader.error("a stage's targets are all s3:// (a static site) or none are", at: entry.value, path + ".targets")
            }
            stage.targets = targets.map { $0.hasPrefix("/") || $0.hasPrefix("ssh://") || $0.hasPrefix("s3://") ? $0 : base + "/" + $0 }
        }
        if stage.targets.isEmpty { reader.error("the stage has no targets", at: keys["targets"]?.value ?? node, path + ".targets") }
        if let entry = keys["strategy"], let text = reader.string(entry.value, path + ".strategy") {
            if let strategy = PipelineSpec.Strategy(rawValue: text) { stage.strategy = strategy } else {
                reader.error("unknown strategy '\(text)': use one-at-a-time, half or all", at: entry.value, path + ".strategy")
            }
        }
        if let entry = keys["minimum-healthy-hosts"], let text = reader.string(entry.value, path + ".minimum-healthy-hosts") {
            if keys["strategy"] != nil {
                reader.error("give strategy or minimum-healthy-hosts, not both", at: entry.value, path + ".minimum-healthy-hosts")
            } else if let problem = Self.minimumHealthyProblem(text, hosts: stage.targets.count) {
                reader.error(problem, at: entry.value, path + ".minimum-healthy-hosts")
            } else {
                stage.minimumHealthyHosts = text
            }
        }
        for key in ["drain", "undrain"] {
            guard let entry = keys[key], let text = reader.string(entry.value, path + "." + key) else { continue }
            if text.trimmingCharacters(in: .whitespaces).isEmpty {
                reader.error("the \(key) command is empty", at: entry.value, path + "." + key)
            } else if key == "drain" { stage.drain = text } else { stage.undrain = text }
        }
        if (keys["drain"] == nil) != (keys["undrain"] == nil) {
            reader.warning("\(keys["drain"] == nil ? "undrain" : "drain") is given without \(keys["drain"] == nil ? "drain" : "undrain"): "
                           + "hosts \(keys["drain"] == nil ? "are never taken out of" : "are never put back into") rotation by Slipway",
                           at: (keys["drain"] ?? keys["undrain"])!.keyNode, path + "." + (keys["drain"] == nil ? "undrain" : "drain"))
        }
        if let entry = keys["health"], !reader.isNull(entry.value) { stage.health = health(entry.value, path + ".health") }
        if let entry = keys["approval"] { stage.approval = helper.bool(entry.value, path + ".approval") }
        if let entry = keys["approval-timeout"] {
            stage.approvalTimeout = seconds(entry.value, path + ".approval-timeout", minimum: 1)
        }
        if let entry = keys["app-root"], let text = reader.string(entry.value, path + ".app-root") {
            if text.hasPrefix("/") { stage.appRoot = text } else {
                reader.error("app-root must be an absolute path", at: entry.value, path + ".app-root")
            }
        }
        if let entry = keys["environment"] {
            stage.environment = Dictionary(helper.namedValues(entry.value, path + ".environment").map { ($0.name, $0.value) }) { _, b in b }
        }
        if let entry = keys["keep"], let text = reader.string(entry.value, path + ".keep") {
            if let n = Int(text), n >= 0 { stage.keep = n } else {
                reader.error("keep must be a whole number, 0 or more", at: entry.value, path + ".keep")
            }
        }
        if let entry = keys["grace"] {
            stage.grace = seconds(entry.value, path + ".grace", minimum: 0)
            if !stage.targets.allSatisfy({ $0.hasPrefix("s3://") }) {
                reader.warning("grace applies to s3:// targets only; it is ignored", at: entry.keyNode, path + ".grace")
            }
        }
        return stage
    }

    /// Why `text` is not a minimum healthy hosts value for a stage of `hosts` targets, or nil.
    static func minimumHealthyProblem(_ text: String, hosts: Int) -> String? {
        if text.hasSuffix("%") {
            guard let share = Int(text.dropLast()), (0...99).contains(share) else {
                return "'\(text)' is not a share of the hosts from 0% to 99% (100% would leave no host to deploy to)"
            }
            if hosts > 0, hosts - (hosts * share + 99) / 100 < 1 {
                return "\(text) of \(hosts) host\(hosts == 1 ? "" : "s") keeps every host in service: no host could be deployed to"
            }
            return nil
        }
        guard let count = Int(text), count >= 0 else {
            return "'\(text)' is not a number of hosts (0 or more) or a share such as 75%"
        }
        if hosts > 0, count >= hosts {
            return "\(count) healthy host\(count == 1 ? "" : "s") of \(hosts) leaves no host to deploy to: give at most \(hosts - 1)"
        }
        return nil
    }

    private func health(_ node: Node, _ path: String) -> PipelineSpec.Health? {
        guard let entries = reader.mapping(node, path) else { return nil }
        let keys = reader.checkKeys(entries, known: Self.healthKeys, path)
        var health = PipelineSpec.Health()
        if let entry = keys["url"], let text = reader.string(entry.value, path + ".url") {
            if text.hasPrefix("http://") { health.url = text } else {
                reader.error("the health URL must start with http://", at: entry.value, path + ".url")
            }
        }
        if let entry = keys["command"], let text = reader.string(entry.value, path + ".command") { health.command = text }
        if health.url != nil && health.command != nil {
            reader.error("give a url or a command, not both", at: node, path)
        } else if keys["url"] == nil && keys["command"] == nil {
            reader.error("give a url or a command", at: node, path)
        }
        if let entry = keys["timeout"], let value = seconds(entry.value, path + ".timeout", minimum: 0.1) { health.timeout = value }
        return health
    }

    /// `90`, `90s`, `5m`, `1h`, `7d`.
    private func seconds(_ node: Node, _ path: String, minimum: Double) -> Double? {
        guard let text = reader.string(node, path) else { return nil }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        var number = Substring(text), scale = 1.0
        if let last = text.last, let unit = units[last] { number = number.dropLast(); scale = unit }
        guard let value = Double(number), value.isFinite, value * scale >= minimum else {
            reader.error("'\(text)' is not a duration of at least \(minimum) s (e.g. 30, 30s, 5m)", at: node, path)
            return nil
        }
        return value * scale
    }
}
