import ArgumentParser
import Deploy
import Foundation
import SlipwayCore
import StaticSite

struct ReleasesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "releases",
        abstract: "List a target's releases, newest first, and which one is current.",
        discussion: "Exit status: 0 listed, 2 no such target (or nothing was ever deployed there).")

    @Option(help: "A directory, ssh://[user@]host[:port]/path or s3://BUCKET[/PREFIX].") var target: String
    @Flag(help: "Print JSON: id, artifact, commit, state, created, switched, current.") var json = false

    func run() async throws {
        let releases: [Release]
        if let site = try SiteTarget.parse(target) { releases = try await site.releases() } else { releases = try listed() }
        if json { return try Terminal.json(releases) }
        print("   ID                                       STATE      ARTIFACT      COMMIT        CREATED")
        let formatter = ISO8601DateFormatter()
        for r in releases {
            let artifact = r.artifact?.short ?? "-"
            print("\(r.current ? "*" : " ")  \(r.id.padding(toLength: 40, withPad: " ", startingAt: 0)) "
                  + "\(r.state.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(artifact.padding(toLength: 13, withPad: " ", startingAt: 0)) "
                  + "\((r.commit.map { String($0.prefix(12)) } ?? "-").padding(toLength: 13, withPad: " ", startingAt: 0)) \(formatter.string(from: r.created))")
        }
    }

    /// A directory or SSH target's releases.
    func listed() throws -> [Release] {
        let parsed = try DeployTarget.parse(target)
        if case let .local(path) = parsed {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw SlipwayError.notFound("\(path): no such deploy target (there is no directory)")
            }
        }
        let host = try parsed.host(events: DeployCommand.printEvents)
        let releases = try listReleases(on: host)
        if releases.isEmpty, try host.records().isEmpty {
            throw SlipwayError.notFound("\(target) is not a deploy target: nothing was ever deployed there (no .slipway/journal)")
        }
        return releases
    }
}
