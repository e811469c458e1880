import ArgumentParser
import Artifacts
import Deploy
import Foundation
import SlipwayCore

struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Install an artifact as a new release and switch to it.",
        discussion: """
            ARTIFACT is a digest, a unique digest prefix, or a tarball (which is imported into \
            the store first). A target is a directory on this machine or \
            ssh://[user@]host[:port]/path (the remote needs only sh, tar, flock, setsid, mv -T), \
            or s3://BUCKET[/PREFIX] for a static site (assets, then pages, then deletions after \
            --grace; see docs/deploy.md). \
            With several targets all are prepared first, then switched in batches (--batch, or \
            --minimum-healthy-hosts), each host out of the load balancer's rotation from its \
            --drain to its --undrain; the first host that fails stops the rollout and switches \
            every switched host back. Exit status: 0 live, 1 failed or rolled back, 2 bad input.
            """)

    @Argument(help: "Digest, digest prefix or tarball path.") var artifact: String
    @Option(name: .customLong("target"), help: "A directory, ssh://[user@]host[:port]/path or s3://BUCKET[/PREFIX] (repeatable).") var targets: [String] = []
    @Option(help: "Use this appspec instead of the bundle's appspec.yml.") var appspec: String?
    @Option(help: "The path the appspec's files/permissions use for the release (default: the target path).") var appRoot: String?
    @Option(help: "Published releases to keep besides current and previous.") var keep = 5
    @Option(help: "HTTP URL that must answer 2xx/3xx after the switch ({host} = the target's host).") var healthUrl: String?
    @Option(help: "Command that must exit 0 on the target after the switch.") var healthCmd: String?
    @Option(help: "Seconds the health check may retry.") var healthTimeout: Double = 30
    @OptionGroup var fleet: FleetOptions
    @Option(help: "Seconds to wait for another deploy's lock.") var wait: Double = 0
    @Option(help: "APPLICATION_NAME for hooks.") var application: String?
    @Option(help: "DEPLOYMENT_GROUP_NAME for hooks.") var group = "default"
    @Option(help: "S3 targets: seconds before objects the new release no longer has are deleted.") var grace: Double = 600
    @Flag(help: "Print JSON: release, status, previous, current, hosts.") var json = false

    func validate() throws {
        if targets.isEmpty { throw ValidationError("give at least one --target") }
        if healthUrl != nil && healthCmd != nil { throw ValidationError("give --health-url or --health-cmd, not both") }
        if keep < 0 { throw ValidationError("--keep must be 0 or more") }
    }

    func run() async throws {
        if targets.contains(where: { $0.hasPrefix("s3://") }) { return try await deploySite() }
        let store = ArtifactStore(home: .fromEnvironment())
        let record = try resolveArtifact(artifact, in: store)
        var options = DeployOptions()
        try applyReleaseFlags(to: &options)
        options.appRoot = appRoot
        try fleet.apply(to: &options)
        let events = DeployCommand.printEvents
        let hosts = try targets.map { try DeployTarget.parse($0).host(events: events) }
        _ = try options.batchSize(for: hosts.count)  // a minimum that leaves no host to deploy to is bad input
        let result = Deployer(store: store, options: options, events: events).deploy(record, to: hosts)
        if json {
            try Terminal.json(result)
        } else if result.succeeded {
            print(result.release ?? "")
        } else {
            for host in result.hosts { Terminal.note("\(host.host): \(host.status.rawValue), current \(host.current ?? "none")") }
        }
        guard result.succeeded else {
            if !json { Terminal.error((result.error ?? "the deploy failed") + (result.aftermath.map { "; " + $0 } ?? "")) }
            throw ExitCode(1)
        }
    }

    static let printEvents: DeployEventSink = { event in
        Terminal.output(event.description)
    }
}

/// A digest or prefix from the store, or a tarball path imported into it.
func resolveArtifact(_ reference: String, in store: ArtifactStore) throws -> ArtifactRecord {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: reference, isDirectory: &isDirectory) {
        guard !isDirectory.boolValue else {
            throw SlipwayError.badInput("\(reference) is a directory: pack it first (slipway artifact pack \(reference)), or give a tarball or digest")
        }
        return try store.importTarball(reference)
    }
    // A path (it has a slash, or a tarball's suffix) that is not there is a missing file, not
    // a digest that does not match.
    if reference.contains("/") || [".tar", ".tar.zst", ".tzst", ".tar.gz", ".tgz"].contains(where: { reference.hasSuffix($0) }) {
        throw SlipwayError.notFound("\(reference): the file does not exist (ARTIFACT is a tarball path, a digest or a digest prefix)")
    }
    return try store.resolve(reference)
}

extension BatchSize: ExpressibleByArgument {}
