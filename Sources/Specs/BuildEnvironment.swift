import Foundation

/// The `env` section: shell, literal variables, secrets and the variables a build exports.
public struct BuildEnvironment: Sendable, Equatable {
    public enum Shell: String, Sendable, Equatable, Codable {
        case sh, bash
        /// The program inside the image.
        public var path: String { self == .sh ? "/bin/sh" : "/bin/bash" }
    }

    /// A variable whose value comes from a secret store: the `parameter-store` name or the
    /// `secrets-manager` reference (`secret-id:json-key:version-stage:version-id`).
    public struct SecretReference: Sendable, Equatable {
        public enum Store: String, Sendable, Equatable, Codable, CaseIterable {
            case parameterStore = "parameter-store"
            case secretsManager = "secrets-manager"
        }
        public var variable: String
        public var store: Store
        public var reference: String
        public var location: SpecLocation
    }

    /// Default: POSIX sh (dash on Debian), not bash.
    public var shell: Shell = .sh
    /// Where `env.shell` was set, if it was.
    public var shellLocation: SpecLocation?
    /// Literal values in file order: `PATH: $PATH:/x` sets the text `$PATH:/x`.
    public var variables: [(name: String, value: String)] = []
    public var secrets: [SecretReference] = []
    /// Names whose values at the end of post_build become the build's outputs.
    public var exportedVariables: [String] = []

    public init() {}

    public static func == (a: BuildEnvironment, b: BuildEnvironment) -> Bool {
        a.shell == b.shell && a.secrets == b.secrets && a.exportedVariables == b.exportedVariables
            && a.variables.map(\.name) == b.variables.map(\.name) && a.variables.map(\.value) == b.variables.map(\.value)
    }
}
