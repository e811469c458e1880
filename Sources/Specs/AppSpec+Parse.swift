import Foundation
import Yams

extension AppSpec {
    static let topLevelKeys = ["version", "os", "files", "file_exists_behavior", "permissions", "hooks"]

    /// Parses an appspec (YAML, or JSON when it starts with `{`).
    ///
    /// Returns the spec when there are no errors, and every finding with its file, line,
    /// column and key path: unknown keys warn, unknown events, Windows and ECS/Lambda
    /// appspecs are errors.
    public static func parse(contents: String, file: String) -> (spec: AppSpec?, diagnostics: [Diagnostic]) {
        let reader = SpecReader(file: file)
        guard let root = reader.parse(yamlText(contents)) else { return (nil, reader.diagnostics) }
        let spec = AppSpecParser(reader: reader).parse(root)
        let diagnostics = reader.diagnostics
        return (diagnostics.hasErrors ? nil : spec, diagnostics)
    }

    /// JSON allows tabs between tokens where YAML's scanner refuses them; a tab outside a
    /// string becomes a space, which keeps every line and column where it was.
    static func yamlText(_ contents: String) -> String {
        let trimmed = contents.drop { $0.isWhitespace || $0 == "\u{FEFF}" }
        guard trimmed.first == "{", contents.contains("\t") else { return contents }
        var out = String.UnicodeScalarView()
        var inString = false, escaped = false
        for scalar in contents.unicodeScalars {
            if inString {
                if escaped { escaped = false } else if scalar == "\\" { escaped = true } else if scalar == "\"" { inString = false }
                out.append(scalar)
            } else {
                if scalar == "\"" { inString = true }
                out.append(scalar == "\t" ? " " : scalar)
            }
        }
        return String(out)
    }
}

/// Walks an appspec's nodes, recording diagnostics in the reader.
struct AppSpecParser {
    let reader: SpecReader

    func parse(_ root: Node) -> AppSpec? {
        guard let entries = reader.mapping(root, "") else { return nil }
        if let resources = entries.first(where: { $0.key == "Resources" || $0.key == "resources" }) {
            reader.error("this is an ECS or Lambda appspec ('Resources' lists AWS services, not files and scripts): "
                         + "Slipway deploys to Linux hosts (EC2/on-premises appspecs with files and hooks) and cannot run it",
                         at: resources.keyNode, resources.key)
            return nil
        }
        let keys = reader.checkKeys(entries, known: AppSpec.topLevelKeys, "")
        var spec = AppSpec()

        if let version = keys["version"] {
            let text = reader.string(version.value, "version")
            if let text, text != "0.0" {
                reader.error("unsupported appspec version '\(text)': the only version is 0.0", at: version.value, "version")
            }
        } else {
            reader.error("missing 'version: 0.0'", at: root, "")
        }
        if let os = keys["os"] {
            if let text = reader.string(os.value, "os") {
                spec.os = text
                if text == "windows" {
                    reader.error("os: windows is not supported: Slipway deploys to Linux hosts only (use 'os: linux')", at: os.value, "os")
                    return nil
                } else if text != "linux" {
                    reader.error("unknown os '\(text)': expected 'linux'", at: os.value, "os")
                }
            }
        } else {
            reader.error("missing 'os: linux'", at: root, "")
        }
        if let files = keys["files"], !reader.isNull(files.value) {
            spec.files = parseFiles(files.value)
        }
        if let behavior = keys["file_exists_behavior"], let text = reader.string(behavior.value, "file_exists_behavior") {
            if let value = FileExistsBehavior(rawValue: text.uppercased()) {
                spec.fileExistsBehavior = value
            } else {
                reader.error("unknown file_exists_behavior '\(text)': expected DISALLOW, OVERWRITE or RETAIN", at: behavior.value, "file_exists_behavior")
            }
        }
        if let permissions = keys["permissions"], !reader.isNull(permissions.value) {
            spec.permissions = parsePermissions(permissions.value)
        }
        if let hooks = keys["hooks"], !reader.isNull(hooks.value) {
            spec.hooks = parseHooks(hooks.value)
        }
        return spec
    }

    private func parseFiles(_ node: Node) -> [FileMapping] {
        guard let items = reader.sequence(node, "files") else { return [] }
        return items.enumerated().compactMap { i, item in
            let path = "files[\(i)]"
            guard let entries = reader.mapping(item, path) else { return nil }
            let keys = reader.checkKeys(entries, known: ["source", "destination"], path)
            guard let source = required("source", keys, item, path),
                  let destination = required("destination", keys, item, path) else { return nil }
            if !destination.hasPrefix("/") {
                reader.error("destination '\(destination)' must be an absolute path", at: keys["destination"]?.value, path + ".destination")
                return nil
            }
            return FileMapping(source: source, destination: destination)
        }
    }

    private func parsePermissions(_ node: Node) -> [PermissionRule] {
        guard let items = reader.sequence(node, "permissions") else { return [] }
        let known = ["object", "pattern", "except", "owner", "group", "mode", "acls", "context", "type"]
        return items.enumerated().compactMap { i, item in
            let path = "permissions[\(i)]"
            guard let entries = reader.mapping(item, path) else { return nil }
            let keys = reader.checkKeys(entries, known: known, path)
            guard let object = required("object", keys, item, path) else { return nil }
            var rule = PermissionRule(object: object)
            if let pattern = keys["pattern"], let text = reader.string(pattern.value, path + ".pattern") { rule.pattern = text }
            if let except = keys["except"], let list = reader.strings(except.value, path + ".except") { rule.except = list }
            if let owner = keys["owner"] { rule.owner = reader.string(owner.value, path + ".owner") }
            if let group = keys["group"] { rule.group = reader.string(group.value, path + ".group") }
            if let mode = keys["mode"], let text = reader.string(mode.value, path + ".mode") {
                if text.count >= 3, text.count <= 4, let bits = UInt32(text, radix: 8) {
                    rule.mode = bits
                } else {
                    reader.error("mode '\(text)' is not an octal mode such as 644 or 0755", at: mode.value, path + ".mode")
                }
            }
            for key in ["acls", "context"] where keys[key] != nil {
                reader.warning("'\(key)' is not supported by Slipway (SELinux contexts and ACLs are left unchanged); it is ignored",
                               at: keys[key]?.keyNode, path + "." + key)
            }
            if let type = keys["type"], let list = reader.strings(type.value, path + ".type") {
                for name in list {
                    if let t = PermissionRule.ObjectType(rawValue: name) { rule.types.append(t) }
                    else { reader.error("unknown type '\(name)': expected file or directory", at: type.value, path + ".type") }
                }
            }
            return rule
        }
    }

    private func parseHooks(_ node: Node) -> [LifecycleEvent: [HookScript]] {
        guard let entries = reader.mapping(node, "hooks") else { return [:] }
        var hooks: [LifecycleEvent: [HookScript]] = [:]
        for entry in entries {
            let path = "hooks." + entry.key
            guard let event = LifecycleEvent(rawValue: entry.key) else {
                let names = LifecycleEvent.allCases.map(\.rawValue).joined(separator: ", ")
                if let right = LifecycleEvent.allCases.first(where: { $0.rawValue.lowercased() == entry.key.lowercased() }) {
                    reader.error("unknown lifecycle event '\(entry.key)' (event names are case-sensitive: did you mean '\(right.rawValue)'?)", at: entry.keyNode, path)
                } else {
                    reader.error("unknown lifecycle event '\(entry.key)': an EC2/on-premises appspec may use \(names)", at: entry.keyNode, path)
                }
                continue
            }
            if hooks[event] != nil { reader.error("duplicate event '\(entry.key)'", at: entry.keyNode, path) }
            if reader.isNull(entry.value) { hooks[event] = []; continue }
            guard let items = reader.sequence(entry.value, path) else { continue }
            hooks[event] = items.enumerated().compactMap { i, item in parseScript(item, "\(path)[\(i)]") }
        }
        return hooks
    }

    private func parseScript(_ node: Node, _ path: String) -> HookScript? {
        guard let entries = reader.mapping(node, path) else { return nil }
        let keys = reader.checkKeys(entries, known: ["location", "timeout", "runas"], path)
        guard let location = required("location", keys, node, path) else { return nil }
        var script = HookScript(location: location)
        if let timeout = keys["timeout"], !reader.isNull(timeout.value), let text = reader.string(timeout.value, path + ".timeout") {
            if let seconds = Int(text), seconds > 0 {
                script.timeout = seconds
                if seconds > 3600 {
                    reader.warning("timeout \(seconds) s exceeds CodeDeploy's 3600 s limit; Slipway honours it", at: timeout.value, path + ".timeout")
                }
            } else {
                reader.error("timeout '\(text)' is not a whole number of seconds", at: timeout.value, path + ".timeout")
            }
        }
        if let runas = keys["runas"], !reader.isNull(runas.value) { script.runas = reader.string(runas.value, path + ".runas") }
        return script
    }

    /// A required non-empty scalar; records an error naming the key when it is missing.
    private func required(_ key: String, _ keys: [String: SpecReader.Entry], _ parent: Node, _ path: String) -> String? {
        guard let entry = keys[key], !reader.isNull(entry.value) else {
            reader.error("missing '\(key)'", at: keys[key]?.value ?? parent, path + "." + key)
            return nil
        }
        guard let text = reader.string(entry.value, path + "." + key), !text.isEmpty else { return nil }
        return text
    }
}
