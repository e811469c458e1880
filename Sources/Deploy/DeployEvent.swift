import Foundation
import Specs

/// Something a deploy reports while it runs: a step, or a line a hook printed.
public struct DeployEvent: Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case step, hookOutput, warning }
    public var host: String
    public var kind: Kind
    public var event: LifecycleEvent?
    public var text: String

    public init(host: String, kind: Kind, event: LifecycleEvent? = nil, text: String) {
        self.host = host
        self.kind = kind
        self.event = event
        self.text = text
    }

    public var description: String {
        let prefix = event.map { "[\(host) \($0.rawValue)] " } ?? "[\(host)] "
        return prefix + (kind == .warning ? "warning: " : "") + text
    }
}

/// Where a deploy's events go (the CLI prints them to stderr; tests collect them).
public typealias DeployEventSink = @Sendable (DeployEvent) -> Void
