import Foundation
import SlipwayCore

extension ImageStore {
    /// Builds an image from a recipe directory (`images/NAME`: an executable `build` that
    /// writes a rootfs tarball to the path it is given) and imports it as `reference`, by
    /// default `NAME:latest`. The recipe's output goes to stderr.
    @discardableResult
    public func build(recipe: String, reference: String? = nil) throws -> ImageRecord {
        let directory = SlipwayHome.absolute(recipe).trimmingSuffix("/")
        let name = (directory as NSString).lastPathComponent
        let tag = try ImageReference(parsing: reference ?? name)
        let script = directory + "/build"
        guard access(script, X_OK) == 0 else {
            throw SlipwayError.badInput("\(recipe): not an image recipe: expected an executable '\(recipe)/build' that writes a rootfs tarball to its first argument")
        }
        try makeDirectories(tmpDir, mode: 0o700)
        let output = "\(tmpDir)/recipe-\(name)-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).tar"
        defer { unlink(output) }
        try Self.run(script, [output], what: "recipe \(recipe)")
        return try importImage(path: output, reference: tag.description)
    }

    /// Runs a recipe with stdout sent to stderr, so a caller's stdout stays machine-readable.
    static func run(_ executable: String, _ arguments: [String], what: String) throws {
        let command = Command([executable] + arguments, environment: ProcessInfo.processInfo.environment,
                              stdout: .descriptor(STDERR_FILENO), stderr: .descriptor(STDERR_FILENO))
        let ending: ChildProcess.Ending
        do {
            ending = try command.run().ending
        } catch {
            throw SlipwayError.wrapping(error, "\(what): cannot run \(executable)")
        }
        guard ending == .exited(0) else {
            throw SlipwayError.failed("\(what) failed (exit status \(ending.status ?? 0)); see its output above")
        }
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        var s = self
        while s.count > 1 && s.hasSuffix(suffix) { s.removeLast(suffix.count) }
        return s
    }
}
