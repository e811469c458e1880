import Foundation
import Yams

/// Reads a YAML (or JSON: it is YAML too) spec as nodes with their positions and collects
/// findings, so every message can name file, line, column and key path.
///
/// Scalars are read as their raw text, never through YAML's type guessing: `python: 3.10`
/// stays "3.10" and `mode: 0644` stays "0644".
public final class SpecReader {
    public typealias Entry = (key: String, keyNode: Node, value: Node)

    public let file: String
    public private(set) var diagnostics: [Diagnostic] = []

    public init(file: String) {
        self.file = file
    }

    /// The document's root node; nil (with an error recorded) when the YAML does not parse.
    public func parse(_ contents: String) -> Node? {
        do {
            guard let root = try Yams.compose(yaml: contents) else {
                error("the file is empty", at: nil, "")
                return nil
            }
            return root
        } catch let yaml as YamlError {
            var line = 1, column = 1
            var problem = "\(yaml)"
            switch yaml {
            case let .scanner(_, text, mark, _), let .parser(_, text, mark, _), let .composer(_, text, mark, _):
                line = mark.line
                column = mark.column
                problem = text
            default: break
            }
            diagnostics.append(Diagnostic(file: file, line: line, column: column, severity: .error,
                                          message: "invalid YAML: \(problem)", keyPath: ""))
            return nil
        } catch {
            self.error("invalid YAML: \(error)", at: nil, "")
            return nil
        }
    }

    // MARK: - Findings

    public func error(_ message: String, at node: Node?, _ keyPath: String) {
        add(.error, message, node, keyPath)
    }

    public func warning(_ message: String, at node: Node?, _ keyPath: String) {
        add(.warning, message, node, keyPath)
    }

    private func add(_ severity: Diagnostic.Severity, _ message: String, _ node: Node?, _ keyPath: String) {
        let mark = node?.mark
        diagnostics.append(Diagnostic(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1,
                                      severity: severity, message: message, keyPath: keyPath))
    }

    // MARK: - Reading nodes

    /// True for `~`, `null`, an empty value.
    public func isNull(_ node: Node) -> Bool {
        guard case let .scalar(s) = node, s.style == .plain || s.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(s.string)
    }

    /// A mapping's entries with string keys; records an error and returns nil otherwise.
    public func mapping(_ node: Node, _ keyPath: String) -> [Entry]? {
        guard case let .mapping(m) = node else {
            error("expected a mapping of keys to values", at: node, keyPath)
            return nil
        }
        return m.compactMap { pair in
            guard case let .scalar(k) = pair.key else {
                error("keys must be plain strings", at: pair.key, keyPath)
                return nil
            }
            return (k.string, pair.key, pair.value)
        }
    }

    /// Warns about keys not in `known`; a key that differs only in case (`Commands:`) gets a
    /// warning naming the right spelling. Returns the entries keyed by their canonical name.
    @discardableResult
    public func checkKeys(_ entries: [Entry], known: [String], _ keyPath: String, what: String = "key") -> [String: Entry] {
        var result: [String: Entry] = [:]
        for entry in entries {
            let path = join(keyPath, entry.key)
            if known.contains(entry.key) {
                if result[entry.key] != nil { error("duplicate \(what) '\(entry.key)'", at: entry.keyNode, path) }
                result[entry.key] = entry
            } else if let right = known.first(where: { $0.lowercased() == entry.key.lowercased() }) {
                warning("unknown \(what) '\(entry.key)' (keys are case-sensitive: did you mean '\(right)'?); it is ignored", at: entry.keyNode, path)
            } else {
                warning("unknown \(what) '\(entry.key)'; it is ignored", at: entry.keyNode, path)
            }
        }
        return result
    }

    /// A scalar's raw text; records an error for a mapping or sequence.
    public func string(_ node: Node, _ keyPath: String) -> String? {
        switch node {
        case let .scalar(s): return s.string
        default:
            error("expected a single value", at: node, keyPath)
            return nil
        }
    }

    /// A list of strings: a scalar counts as a one-item list; null items are skipped.
    public func strings(_ node: Node, _ keyPath: String) -> [String]? {
        switch node {
        case let .scalar(s): return isNull(node) ? [] : [s.string]
        case let .sequence(seq):
            var out: [String] = []
            for (i, item) in seq.enumerated() {
                if isNull(item) { continue }
                if let text = string(item, "\(keyPath)[\(i)]") { out.append(text) }
            }
            return out
        default:
            error("expected a list of strings", at: node, keyPath)
            return nil
        }
    }

    /// A sequence's items (a single mapping is not silently accepted).
    public func sequence(_ node: Node, _ keyPath: String) -> [Node]? {
        guard case let .sequence(seq) = node else {
            error("expected a list", at: node, keyPath)
            return nil
        }
        return Array(seq)
    }

    public func join(_ keyPath: String, _ key: String) -> String {
        keyPath.isEmpty ? key : keyPath + "." + key
    }
}
