import Foundation

/// `artifacts` (and each `secondary-artifacts.<id>`): which files leave the build.
public struct ArtifactSpec: Sendable, Equatable {
    /// Globs: `file`, `dir/*`, `dir/**/*`, `**/*`; may hold `$VARS` set during the build.
    public var files: [String]
    public var name: String?
    public var baseDirectory: String?
    /// Flatten: keep only file names.
    public var discardPaths: Bool
    public var excludePaths: [String]
    public var enableSymlinks: Bool
    /// Secondary artifacts by identifier, in file order.
    public var secondary: [(id: String, artifact: ArtifactSpec)]
    public var location: SpecLocation

    public init(files: [String] = [], name: String? = nil, baseDirectory: String? = nil, discardPaths: Bool = false,
                excludePaths: [String] = [], enableSymlinks: Bool = false,
                secondary: [(id: String, artifact: ArtifactSpec)] = [],
                location: SpecLocation = .start("artifacts")) {
        self.files = files
        self.name = name
        self.baseDirectory = baseDirectory
        self.discardPaths = discardPaths
        self.excludePaths = excludePaths
        self.enableSymlinks = enableSymlinks
        self.secondary = secondary
        self.location = location
    }

    public static func == (a: ArtifactSpec, b: ArtifactSpec) -> Bool {
        a.files == b.files && a.name == b.name && a.baseDirectory == b.baseDirectory && a.discardPaths == b.discardPaths
            && a.excludePaths == b.excludePaths && a.enableSymlinks == b.enableSymlinks
            && a.secondary.map(\.id) == b.secondary.map(\.id) && a.secondary.map(\.artifact) == b.secondary.map(\.artifact)
    }
}

/// `reports.<group>`: test result files collected after the build.
public struct ReportGroupSpec: Sendable, Equatable {
    public enum Format: String, Sendable, Equatable, Codable, CaseIterable {
        case junitXML = "JUNITXML", cucumberJSON = "CUCUMBERJSON", testNGXML = "TESTNGXML",
             visualStudioTRX = "VISUALSTUDIOTRX", nunitXML = "NUNITXML", nunit3XML = "NUNIT3XML",
             cloverXML = "CLOVERXML", coberturaXML = "COBERTURAXML", jacocoXML = "JACOCOXML", simplecov = "SIMPLECOV"
    }

    public var name: String
    public var files: [String]
    public var baseDirectory: String?
    public var discardPaths = false
    public var format = Format.junitXML
}

/// `cache`: directories kept between builds.
public struct CacheSpec: Sendable, Equatable {
    public enum Action: String, Sendable, Equatable, Codable { case restore, save }

    public var paths: [String]
    /// Shell-expanded; an exact match restores.
    public var key: String?
    /// Prefix matches, tried in order when `key` has no entry.
    public var fallbackKeys: [String]
    /// nil = restore and save.
    public var action: Action?

    public init(paths: [String] = [], key: String? = nil, fallbackKeys: [String] = [], action: Action? = nil) {
        self.paths = paths
        self.key = key
        self.fallbackKeys = fallbackKeys
        self.action = action
    }

    public var restores: Bool { action != .save }
    public var saves: Bool { action != .restore }
}

/// `batch`: a list, graph or matrix of builds.
public struct BatchSpec: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable, Codable {
        case buildList = "build-list", buildGraph = "build-graph", buildMatrix = "build-matrix"
    }

    public struct Entry: Sendable, Equatable {
        public var identifier: String
        public var buildspec: String?
        public var variables: [String: String]
        public var dependOn: [String]
        public var ignoreFailure: Bool

        public init(identifier: String, buildspec: String? = nil, variables: [String: String] = [:],
                    dependOn: [String] = [], ignoreFailure: Bool = false) {
            self.identifier = identifier
            self.buildspec = buildspec
            self.variables = variables
            self.dependOn = dependOn
            self.ignoreFailure = ignoreFailure
        }
    }

    public var kind: Kind
    public var fastFail: Bool
    public var entries: [Entry]
    public var location: SpecLocation

    public init(kind: Kind, fastFail: Bool = true, entries: [Entry] = [], location: SpecLocation) {
        self.kind = kind
        self.fastFail = fastFail
        self.entries = entries
        self.location = location
    }
}
