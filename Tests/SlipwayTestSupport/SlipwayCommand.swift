import Foundation

/// The real `slipway` binary, built with the tests, run end to end against one Slipway home.
public struct SlipwayCommand: Sendable {
    /// The binary in the build products directory that holds this test bundle.
    public static let binary: String = {
        var directory = (((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? "") as NSString)
            .deletingLastPathComponent
        while !directory.isEmpty, directory != "/", !FileManager.default.isExecutableFile(atPath: directory + "/slipway") {
            directory = (directory as NSString).deletingLastPathComponent
        }
        return directory + "/slipway"
    }()

    /// Whether the binary was built (`swift build --build-tests` builds it; a filtered build may not).
    public static var isBuilt: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    /// `SLIPWAY_HOME` for every run; nil leaves the environment's.
    public var home: String?
    /// Variables added to this process's environment for every run.
    public var environment: [String: String]

    public init(home: String? = nil, environment: [String: String] = [:]) {
        self.home = home
        self.environment = environment
    }

    /// Runs `slipway arguments...`, after `prefix` (a launcher such as `setpriv ...`) if any.
    @discardableResult
    public func run(_ arguments: [String], environment: [String: String] = [:], prefix: [String] = [],
                    timeout: Duration = .seconds(300)) throws -> ProgramOutput {
        var env = self.environment
        if let home { env["SLIPWAY_HOME"] = home }
        env.merge(environment) { $1 }
        let command = prefix + [Self.binary] + arguments
        return try Program.run(command[0], Array(command.dropFirst()), environment: env, timeout: timeout)
    }

    /// Starts `slipway arguments...` in the background with nothing on its standard input; its
    /// output goes to the files `stdout` and `stderr` (created anew), or nowhere. The caller
    /// ends it with SIGKILL if it is still running (SIGTERM is ignored in the test's children).
    public func start(_ arguments: [String], stdout: String? = nil, stderr: String? = nil) throws -> Process {
        func sink(_ path: String?) throws -> FileHandle {
            guard let path else { return .nullDevice }
            guard FileManager.default.createFile(atPath: path, contents: nil) else { throw TestFailure("cannot create \(path)") }
            return try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let home { env["SLIPWAY_HOME"] = home }
        process.environment = env
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try sink(stdout)
        process.standardError = try sink(stderr)
        try process.run()
        return process
    }
}
