import ArgumentParser
import Deploy
import Foundation
import SlipwayCore
import StaticSite

struct ReleasesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration.direct(
        "releases", parent: "slipway",
        abstract: "List a target's releases, newest first, and which one is current.",
        discussion: """
            With several --target, or --stage: which release each host runs (JSON: per target, \
            its current release and releases). Exit status: 0 listed, 1 a host could not be \
            read, 2 no such target (or nothing was ever deployed there).
            """)

    @Option(name: .customLong("target"), help: "A directory, ssh://[user@]host[:port]/path (repeatable) or s3://BUCKET[/PREFIX].") var targets: [String] = []
    @OptionGroup var stageOption: StageOption
    @Flag(help: "Print JSON: id, artifact, commit, state, created, switched, current.") var json = false

    func validate() throws {
        if targets.isEmpty == (stageOption.stage == nil) { throw ValidationError("give --target (one or more) or --stage") }
    }

    func run() async throws {
        if let found = try await stageOption.load() { return try listFleet(found.stage.targets) }
        guard targets.count == 1, let target = targets.first else { return try listFleet(targets) }
        let releases: [Release]
        if let site = try SiteTarget.parse(target) { releases = try await site.releases() } else { releases = try listed(target) }
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
    func listed(_ target: String) throws -> [Release] {
        let host = try ExistingTargetOption.host(target)
        let releases = try listReleases(on: host)
        if releases.isEmpty, try host.records().isEmpty {
            throw SlipwayError.notFound("\(target) is not a deploy target: nothing was ever deployed there (no .slipway/journal)")
        }
        return releases
    }
}


extension ReleasesCommand {
    /// Which release each target runs, one line per target, then which hosts share a release.
    func listFleet(_ targets: [String]) throws {
        let hosts = try targets.map { try DeployTarget.parse($0).host(events: { _ in }) }
        var listing = listReleases(onEach: hosts)
        for i in listing.indices { listing[i].target = targets[i] }
        if json {
            try Terminal.json(listing)
        } else {
            let width = max(6, targets.map(\.count).max() ?? 0)
            print("TARGET".padding(toLength: width, withPad: " ", startingAt: 0) + "  CURRENT                                   STATE      RELEASES")
            for entry in listing {
                let current = entry.releases.first(where: \.current)
                let column = entry.error.map { "unreachable: " + $0 } ?? (current?.id ?? "none").padding(toLength: 40, withPad: " ", startingAt: 0)
                    + "  " + (current?.state.rawValue ?? "-").padding(toLength: 10, withPad: " ", startingAt: 0) + " \(entry.releases.count)"
                print(entry.target.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + column)
            }
            let groups = Dictionary(grouping: listing.filter { $0.error == nil }, by: { $0.current ?? "none" })
            if groups.count == 1, let (release, all) = groups.first, all.count == listing.count {
                Terminal.note("all \(all.count) targets run \(release)")
            } else {
                for (release, entries) in groups.sorted(by: { $0.key > $1.key }) {
                    Terminal.note("\(release): \(entries.count) of \(listing.count) targets")
                }
            }
        }
        if listing.contains(where: { $0.error != nil }) { throw ExitCode(1) }
    }
}
