import ArgumentParser
import Deploy
import Foundation
import SlipwayCore

/// `--target` of the commands that act on what a target already holds (`releases`,
/// `rollback`). A local path with no directory is refused before anything is opened: opening
/// it would lay out a new, empty target there, so a mistyped path would leave directories
/// behind and be reported as a target with no releases.
struct ExistingTargetOption: ParsableArguments, CustomStringConvertible {
    @Option(help: "A directory, ssh://[user@]host[:port]/path or s3://BUCKET[/PREFIX].") var target: String

    var description: String { target }

    /// The target's host, printing its deploy events.
    func host() throws -> any ReleaseHost { try Self.host(target) }

    /// `target`'s host (one of several `--target`s), with the same check.
    static func host(_ target: String) throws -> any ReleaseHost {
        let parsed = try DeployTarget.parse(target)
        if case let .local(path) = parsed {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw SlipwayError.notFound("\(path): no such deploy target (there is no directory)")
            }
        }
        return parsed.host(events: DeployCommand.printEvents)
    }
}
