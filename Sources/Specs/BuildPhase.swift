import Foundation

/// One of the four phases, with its commands and failure handling.
public struct BuildPhase: Sendable, Equatable {
    /// Phase names in the order they run.
    public enum Name: String, Sendable, Equatable, Codable, CaseIterable, Comparable {
        case install, pre_build, build, post_build

        public static func < (a: Name, b: Name) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }

        /// CodeBuild's log spelling: `PRE_BUILD`.
        public var logName: String { rawValue.uppercased() }
    }

    /// A command as written: a `- |` block is one command (only its last status counts).
    public struct Command: Sendable, Equatable {
        public var text: String
        public var line: Int

        public init(_ text: String, line: Int = 0) {
            self.text = text
            self.line = line
        }
    }

    public var name: Name
    public var commands: [Command] = []
    /// Runs after `commands`, even when one failed; its own failure fails the phase.
    public var finally: [Command] = []
    public var onFailure = OnFailure.abort
    public var runAs: Located<String>?
    /// `install` only: runtime name to the raw version text (`python: 3.10` is "3.10").
    public var runtimeVersions: [Located<RuntimeVersion>] = []
}

/// `runtime-versions` entry: `nodejs: 18`, `java: corretto17`, `python: latest`.
public struct RuntimeVersion: Sendable, Equatable {
    public var runtime: String
    public var version: String

    public init(runtime: String, version: String) {
        self.runtime = runtime
        self.version = version
    }
}

/// What a failing phase does next.
public enum OnFailure: Sendable, Equatable, CustomStringConvertible {
    /// Stop the build (the default).
    case abort
    /// Go on with the next phase as if the phase had passed, but the build is marked failing.
    case `continue`
    /// Run the phase again, up to `count` times, while the failing output matches `pattern`.
    case retry(count: Int, pattern: String?)

    /// CodeBuild's default number of retries for a bare `RETRY`.
    public static let defaultRetries = 3

    /// Reads `ABORT`, `CONTINUE`, `RETRY`, `RETRY-<n>`, `RETRY-<regex>`, `RETRY-<n>-<regex>`.
    public init?(text: String) {
        switch text {
        case "ABORT": self = .abort
        case "CONTINUE": self = .continue
        case "RETRY": self = .retry(count: OnFailure.defaultRetries, pattern: nil)
        default:
            guard text.hasPrefix("RETRY-") else { return nil }
            let rest = text.dropFirst("RETRY-".count)
            guard !rest.isEmpty else { return nil }
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            if digits.count == rest.count {
                guard let n = Int(digits), n <= 100 else { return nil }
                self = .retry(count: n, pattern: nil)
            } else if !digits.isEmpty, rest.dropFirst(digits.count).first == "-" {
                guard let n = Int(digits), n <= 100 else { return nil }
                self = .retry(count: n, pattern: String(rest.dropFirst(digits.count + 1)))
            } else {
                self = .retry(count: OnFailure.defaultRetries, pattern: String(rest))
            }
        }
    }

    public var description: String {
        switch self {
        case .abort: return "ABORT"
        case .continue: return "CONTINUE"
        case let .retry(count, pattern): return "RETRY-\(count)" + (pattern.map { "-" + $0 } ?? "")
        }
    }
}
