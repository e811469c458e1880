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

    @OptionGroup var target: ExistingTargetOption
    @Flag(help: "Print JSON: id, artifact, commit, state, created, switched, current.") var json = false

    func run() async throws {
        let releases: [Release]
        if let site = try SiteTarget.parse(target.target) { releases = try await site.releases() } else { releases = try listed() }
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
        let host = try target.host()
        let releases = try listReleases(on: host)
        if releases.isEmpty, try host.records().isEmpty {
            throw SlipwayError.notFound("\(target) is not a deploy target: nothing was ever deployed there (no .slipway/journal)")
        }
        return releases
    }
}
