import Foundation
import Yams

/// Turns a buildspec's YAML nodes into a `BuildSpec`, recording every finding in `reader`.
final class BuildSpecParser {
    let reader: SpecReader

    static let topLevelKeys = ["version", "run-as", "env", "proxy", "batch", "phases", "reports", "artifacts", "cache"]
    static let envKeys = ["shell", "variables", "parameter-store", "secrets-manager", "exported-variables", "git-credential-helper"]
    /// Shells that only exist on CodeBuild's Windows images.
    static let windowsShells = ["powershell", "powershell.exe", "pwsh", "pwsh.exe", "cmd", "cmd.exe"]

    init(file: String) {
        reader = SpecReader(file: file)
    }

    func parse(_ contents: String) -> BuildSpec? {
        guard let root = reader.parse(contents) else { return nil }
        guard let entries = reader.mapping(root, "") else { return nil }
        let keys = reader.checkKeys(entries, known: Self.topLevelKeys, "")
        var spec = BuildSpec()

        if let version = keys["version"] {
            let text = reader.string(version.value, "version") ?? ""
            switch text {
            case "0.2": spec.version = "0.2"
            case "0.1":
                spec.version = "0.1"
                reader.warning("version 0.1 runs every command in a new shell: variables and the working directory do not carry over; use 0.2 unless you rely on that", at: version.value, "version")
            default:
                reader.error("unsupported buildspec version '\(text)': use version: 0.2", at: version.value, "version")
            }
        } else {
            reader.error("the buildspec has no 'version': add 'version: 0.2' at the top", at: root, "version")
        }
        if let runAs = keys["run-as"] { spec.runAs = user(runAs.value, "run-as") }
        if let env = keys["env"] { spec.env = environment(env.value) }
        if let proxy = keys["proxy"], !reader.isNull(proxy.value) {
            reader.warning("'proxy' is ignored: Slipway builds have no outbound network proxy", at: proxy.keyNode, "proxy")
        }
        if let phases = keys["phases"] { spec.phases = self.phases(phases.value) }
        if let artifacts = keys["artifacts"], !reader.isNull(artifacts.value) {
            spec.artifacts = self.artifacts(artifacts.value, "artifacts", secondaryAllowed: true)
        }
        if let reports = keys["reports"], !reader.isNull(reports.value) { spec.reports = self.reports(reports.value) }
        if let cache = keys["cache"], !reader.isNull(cache.value) { spec.cache = self.cache(cache.value) }
        if let batch = keys["batch"], !reader.isNull(batch.value) { spec.batch = self.batch(batch.value, batch.keyNode) }

        if spec.phases.isEmpty && spec.batch == nil && !reader.diagnostics.hasErrors {
            reader.warning("the buildspec has no phases: a build runs no commands", at: root, "phases")
        }
        for name in spec.env.exportedVariables where spec.env.secrets.contains(where: { $0.variable == name }) {
            reader.warning("exported variable '\(name)' holds a secret: its value would be visible to later stages; it is not exported", at: keys["env"]?.value, "env.exported-variables")
        }
        return spec
    }

    // MARK: - env

    private func environment(_ node: Node) -> BuildEnvironment {
        var env = BuildEnvironment()
        guard !reader.isNull(node), let entries = reader.mapping(node, "env") else { return env }
        let keys = reader.checkKeys(entries, known: Self.envKeys, "env")
        if let shell = keys["shell"], let text = reader.string(shell.value, "env.shell") {
            env.shellLocation = location(shell.value, "env.shell")
            switch text {
            case "sh", "/bin/sh": env.shell = .sh
            case "bash", "/bin/bash": env.shell = .bash
            case _ where Self.windowsShells.contains(text.lowercased()):
                reader.error("shell '\(text)' exists only on Windows build images; Slipway runs Linux builds: use sh or bash", at: shell.value, "env.shell")
            default:
                reader.error("unsupported shell '\(text)': use sh (the default) or bash", at: shell.value, "env.shell")
            }
        }
        if let variables = keys["variables"] {
            env.variables = namedValues(variables.value, "env.variables").map { ($0.name, $0.value) }
            for variable in env.variables where variable.name.hasPrefix("CODEBUILD_") {
                reader.warning("'\(variable.name)' is a built-in variable name; the built-in value wins", at: variables.value, "env.variables.\(variable.name)")
            }
        }
        for store in BuildEnvironment.SecretReference.Store.allCases {
            guard let section = keys[store.rawValue] else { continue }
            let path = "env." + store.rawValue
            for item in namedValues(section.value, path) {
                if item.value.isEmpty {
                    reader.error("'\(item.name)' names no \(store.rawValue) entry: give the name of the secret", at: item.node, path + "." + item.name)
                    continue
                }
                env.secrets.append(.init(variable: item.name, store: store, reference: item.value, location: location(item.node, path + "." + item.name)))
            }
        }
        if let exported = keys["exported-variables"], let names = reader.strings(exported.value, "env.exported-variables") {
            for name in names where !Self.isVariableName(name) {
                reader.error("'\(name)' is not a variable name (letters, digits and _, not starting with a digit)", at: exported.value, "env.exported-variables")
            }
            env.exportedVariables = names.filter(Self.isVariableName)
        }
        if let helper = keys["git-credential-helper"], let text = reader.string(helper.value, "env.git-credential-helper"),
           bool(text) == true {
            reader.warning("git-credential-helper is ignored: builds get the committed source tree, not git credentials", at: helper.value, "env.git-credential-helper")
        }
        return env
    }

    /// A mapping of variable names to raw scalar values.
    func namedValues(_ node: Node, _ path: String) -> [(name: String, value: String, node: Node)] {
        guard !reader.isNull(node), let entries = reader.mapping(node, path) else { return [] }
        var out: [(String, String, Node)] = []
        for entry in entries {
            let keyPath = path + "." + entry.key
            guard Self.isVariableName(entry.key) else {
                reader.error("'\(entry.key)' is not a variable name (letters, digits and _, not starting with a digit)", at: entry.keyNode, keyPath)
                continue
            }
            if reader.isNull(entry.value) {
                out.append((entry.key, "", entry.value))
            } else if let value = reader.string(entry.value, keyPath) {
                out.append((entry.key, value, entry.value))
            }
        }
        return out
    }

    // MARK: - Small readers

    func user(_ node: Node, _ path: String) -> Located<String>? {
        guard let name = reader.string(node, path), !name.isEmpty else { return nil }
        return Located(name, at: location(node, path))
    }

    /// YAML 1.1 booleans, read from the raw text: `yes`/`no`, `true`/`false`, `on`/`off`.
    func bool(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "yes", "y", "true", "on": return true
        case "no", "n", "false", "off": return false
        default: return nil
        }
    }

    func bool(_ node: Node, _ path: String) -> Bool {
        guard let text = reader.string(node, path) else { return false }
        guard let value = bool(text) else {
            reader.error("expected yes or no, found '\(text)'", at: node, path)
            return false
        }
        return value
    }

    func location(_ node: Node?, _ path: String) -> SpecLocation {
        SpecLocation(line: node?.mark?.line ?? 1, column: node?.mark?.column ?? 1, keyPath: path)
    }

    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }
}

