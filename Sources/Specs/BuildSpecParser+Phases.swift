import Foundation
import Yams

extension BuildSpecParser {
    static let phaseKeys = ["run-as", "on-failure", "runtime-versions", "commands", "finally"]

    func phases(_ node: Node) -> [BuildPhase] {
        guard !reader.isNull(node), let entries = reader.mapping(node, "phases") else { return [] }
        let keys = reader.checkKeys(entries, known: BuildPhase.Name.allCases.map(\.rawValue), "phases", what: "phase")
        return BuildPhase.Name.allCases.compactMap { name in
            keys[name.rawValue].map { phase(name, $0.value) }
        }
    }

    private func phase(_ name: BuildPhase.Name, _ node: Node) -> BuildPhase {
        let path = "phases." + name.rawValue
        var phase = BuildPhase(name: name)
        guard !reader.isNull(node), let entries = reader.mapping(node, path) else { return phase }
        let keys = reader.checkKeys(entries, known: Self.phaseKeys, path)
        if let commands = keys["commands"] { phase.commands = self.commands(commands.value, path + ".commands") }
        if let finally = keys["finally"] { phase.finally = self.commands(finally.value, path + ".finally") }
        if let runAs = keys["run-as"] { phase.runAs = user(runAs.value, path + ".run-as") }
        if let onFailure = keys["on-failure"], let text = reader.string(onFailure.value, path + ".on-failure") {
            if let value = OnFailure(text: text) {
                phase.onFailure = value
                if case let .retry(_, pattern?) = value, (try? Regex(pattern)) == nil {
                    reader.error("'\(pattern)' in on-failure is not a valid regular expression", at: onFailure.value, path + ".on-failure")
                }
            } else {
                reader.error("on-failure must be ABORT, CONTINUE, RETRY, RETRY-<count>, RETRY-<regex> or RETRY-<count>-<regex> (count 0 to 100), not '\(text)'", at: onFailure.value, path + ".on-failure")
            }
        }
        if let runtimes = keys["runtime-versions"] {
            if name != .install {
                reader.warning("runtime-versions belongs in the install phase; here it is ignored", at: runtimes.keyNode, path + ".runtime-versions")
            } else {
                phase.runtimeVersions = runtimeVersions(runtimes.value, path + ".runtime-versions")
            }
        }
        return phase
    }

    /// A list of commands: a scalar is a one-item list; a null item is skipped; a `- |` block
    /// stays one command; folded and multi-line plain scalars arrive as one line.
    func commands(_ node: Node, _ path: String) -> [BuildPhase.Command] {
        if reader.isNull(node) { return [] }
        if case let .scalar(s) = node { return [.init(s.string, line: s.mark?.line ?? 0)] }
        guard let items = reader.sequence(node, path) else { return [] }
        var out: [BuildPhase.Command] = []
        for (i, item) in items.enumerated() {
            let itemPath = "\(path)[\(i)]"
            switch item {
            case let .scalar(s):
                if reader.isNull(item) { continue }
                out.append(.init(s.string, line: s.mark?.line ?? 0))
            case .mapping:
                reader.error("this command was read as a key and value because it contains ': ' (colon and space); put the whole command in quotes", at: item, itemPath)
            default:
                reader.error("a command must be a single line or a '|' block, not a list", at: item, itemPath)
            }
        }
        return out
    }

    private func runtimeVersions(_ node: Node, _ path: String) -> [Located<RuntimeVersion>] {
        guard !reader.isNull(node), let entries = reader.mapping(node, path) else { return [] }
        var out: [Located<RuntimeVersion>] = []
        for entry in entries {
            let itemPath = path + "." + entry.key
            // Raw text: `python: 3.10` is "3.10", `golang: 1.14` is "1.14".
            guard let version = reader.string(entry.value, itemPath), !version.isEmpty else { continue }
            out.append(Located(RuntimeVersion(runtime: entry.key, version: version), at: location(entry.value, itemPath)))
        }
        return out
    }
}
