import ArgumentParser
import Deploy
import Foundation
import SlipwayCore

struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Switch a target back to the previous good release (or a named one).",
        discussion: "The release left behind stays as it was (published: `rollback --to` can return to it); only a failed deploy marks a release bad. Database migrations and files in shared/ are not reverted. Exit status: 0 rolled back (or already current), 1 the rollback failed, 2 no such target or release.")

    @OptionGroup var target: ExistingTargetOption
    @Option(help: "A release id, unique prefix or sequence number (see `slipway releases`).") var to: String?
    @Option(help: "HTTP URL that must answer 2xx/3xx afterwards.") var healthUrl: String?
    @Option(help: "Command that must exit 0 afterwards.") var healthCmd: String?
    @Option(help: "Seconds to wait for another deploy's lock.") var wait: Double = 0
    @Option(help: "S3 targets: seconds before objects the release rolled back to does not have are deleted.") var grace: Double = 600
    @Flag(help: "Print JSON: host, current, previous, status.") var json = false

    func run() async throws {
        if target.target.hasPrefix("s3://") { return try await rollBackSite() }
        var options = DeployOptions()
        options.health = healthUrl.map { HealthCheck.http(url: $0) } ?? healthCmd.map { HealthCheck.command($0) }
        options.lockWait = wait
        let host = try target.host()
        let result = try Rollback(host: host, options: options, events: DeployCommand.printEvents).run(to: to)
        if json { try Terminal.json(result) } else { print(result.current) }
        if let error = result.error {
            if !json { Terminal.error(error) }
            throw ExitCode(1)
        }
    }
}
