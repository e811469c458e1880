import Foundation
import SlipwayCore

/// Runs git through `Command` (`posix_spawn`, poll and a pidfd): Foundation's `Process` waits by polling its
/// run loop, which costs milliseconds per call, and a result-cache hit is mostly git calls.
public enum Git {
    public static let executable = "/usr/bin/git"

    /// git's stdout, trimmed.
    public static func run(_ arguments: [String], in directory: String) throws -> String {
        String(decoding: try data(arguments, in: directory), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// git's stdout as it is; throws with git's stderr when it fails.
    public static func data(_ arguments: [String], in directory: String, input: Data? = nil) throws -> Data {
        let command = Command([executable, "-C", directory] + arguments, environment: ProcessInfo.processInfo.environment,
                              input: input.map { .bytes(Array($0)) } ?? .null, stdout: .pipe, stderr: .pipe)
        let outcome: Command.Outcome
        do {
            outcome = try command.run()
        } catch {
            throw SlipwayError.wrapping(error, "cannot run git (install git to build from a checkout)")
        }
        guard outcome.ending == .exited(0) else {
            let text = String(decoding: outcome.stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw SlipwayError.failed("git \(arguments.first ?? ""): \(text)")
        }
        return Data(outcome.stdout)
    }
}
