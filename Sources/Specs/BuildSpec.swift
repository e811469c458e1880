import Foundation

/// A CodeBuild `buildspec.yml` (version 0.2), read with the semantics of formats.md.
///
/// The model keeps what the runner needs plus the position of everything that can only be
/// judged later against an image or a secret store (runtime versions, secret references), so
/// those findings still name file, line and key path.
public struct BuildSpec: Sendable, Equatable {
    /// `0.2`, or `0.1` (a fresh shell per command: no state carried between commands).
    public var version = "0.2"
    /// The user every phase runs as unless the phase says otherwise.
    public var runAs: Located<String>?
    public var env = BuildEnvironment()
    /// The phases present, always in the order install, pre_build, build, post_build.
    public var phases: [BuildPhase] = []
    public var artifacts: ArtifactSpec?
    public var reports: [ReportGroupSpec] = []
    public var cache: CacheSpec?
    public var batch: BatchSpec?

    /// Version 0.1 runs each command in a new shell; 0.2 carries state.
    public var carriesShellState: Bool { version != "0.1" }

    public func phase(_ name: BuildPhase.Name) -> BuildPhase? {
        phases.first { $0.name == name }
    }

    /// Reads a buildspec. The spec is nil when an error makes the file unusable; warnings
    /// (unknown or miscased keys, settings Slipway ignores) come with a spec.
    public static func parse(contents: String, file: String) -> (spec: BuildSpec?, diagnostics: [Diagnostic]) {
        let parser = BuildSpecParser(file: file)
        let spec = parser.parse(contents)
        let diagnostics = parser.reader.diagnostics
        return (diagnostics.hasErrors ? nil : spec, diagnostics)
    }
}

/// Where a value came from in its file, for findings made after parsing.
public struct SpecLocation: Sendable, Equatable, Codable {
    public var line: Int
    public var column: Int
    public var keyPath: String

    /// The top of the file: where a finding about `keyPath` (or, empty, the whole file) is
    /// reported when no node in the file holds it.
    public static func start(_ keyPath: String = "") -> SpecLocation {
        SpecLocation(line: 1, column: 1, keyPath: keyPath)
    }

    public func diagnostic(_ severity: Diagnostic.Severity, _ message: String, file: String) -> Diagnostic {
        Diagnostic(file: file, line: line, column: column, severity: severity, message: message, keyPath: keyPath)
    }
}

/// A value with its position in the file.
public struct Located<Value: Sendable & Equatable>: Sendable, Equatable {
    public var value: Value
    public var location: SpecLocation

    public init(_ value: Value, at location: SpecLocation) {
        self.value = value
        self.location = location
    }
}
