import ArgumentParser
import Deploy
import Foundation
import Pipeline
import SlipwayCore

struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration.direct(
        "rollback", parent: "slipway",
        abstract: "Switch a target back to the previous good release (or a named one).",
        discussion: """
            The release left behind stays as it was (published: `rollback --to` can return to it); \
            only a failed deploy marks a release bad. Database migrations and files in shared/ are \
            not reverted. With several --target, or --stage: every host goes back to the same \
            release in batches, each out of rotation from its drain to its undrain; the first \
            host that fails stops the rollback. Exit status: 0 rolled back (or already current), 1 the \
            rollback failed, 2 no such target or release.
            """)

    @Option(name: .customLong("target"), help: "A directory, ssh://[user@]host[:port]/path (repeatable) or s3://BUCKET[/PREFIX].") var targets: [String] = []
    @OptionGroup var stageOption: StageOption
    @OptionGroup var fleet: FleetOptions
    @Option(help: "A release id, unique prefix or sequence number (see `slipway releases`).") var to: String?
    @Option(help: "HTTP URL that must answer 2xx/3xx afterwards.") var healthUrl: String?
    @Option(help: "Command that must exit 0 afterwards.") var healthCmd: String?
    @Option(help: "Seconds to wait for another deploy's lock.") var wait: Double = 0
    @Option(help: "S3 targets: seconds before objects the release rolled back to does not have are deleted.") var grace: Double = 600
    @Flag(help: "Print JSON: host, current, previous, status.") var json = false

    func validate() throws {
        if targets.isEmpty == (stageOption.stage == nil) { throw ValidationError("give --target (one or more) or --stage") }
        if healthUrl != nil && healthCmd != nil { throw ValidationError("give --health-url or --health-cmd, not both") }
    }

    func run() async throws {
        if let single { return try single.run() }
        if targets.count == 1, let target = targets.first, target.hasPrefix("s3://") { return try await rollBackSite(target) }
        var options = DeployOptions()
        let found = try await stageOption.load()
        let stage = found?.stage
        if let stage {
            try stage.apply(to: &options)
            options.environment = stage.environment
            options.deploymentGroup = stage.name
        }
        if let health = healthUrl.map({ HealthCheck.http(url: $0) }) ?? healthCmd.map({ HealthCheck.command($0) }) { options.health = health }
        options.lockWait = wait
        try fleet.apply(to: &options)
        if let found {
            let result = try rollBackFleet(found.stage.targets, options: options)
            // A registered pipeline's stage: its audit trail and recorded releases say so.
            if let pipeline = found.pipeline {
                try await stageOption.state.orchestrator().recordStageRollback(pipeline: pipeline, stage: found.stage, result: result, by: CLIActor.current)
            }
            if result.error != nil { throw ExitCode(1) }
            return
        }
        guard targets.count == 1, let target = targets.first else {
            if try rollBackFleet(targets, options: options).error != nil { throw ExitCode(1) }
            return
        }
        try Self.rollBack(target, to: to, options: options, json: json)
    }

    /// One directory or SSH target rolled back; prints the release it is on.
    static func rollBack(_ target: String, to: String?, options: DeployOptions, json: Bool) throws {
        let host = try ExistingTargetOption.host(target)
        let result = try Rollback(host: host, options: options, events: DeployCommand.printEvents).run(to: to)
        if json { try Terminal.json(result) } else { Terminal.line(result.current) }
        if let error = result.error {
            if !json { Terminal.error(error) }
            throw ExitCode(1)
        }
    }
}

extension RollbackCommand {
    /// Rolls every target back and prints the result; the caller exits 1 when it has an error.
    func rollBackFleet(_ targets: [String], options: DeployOptions) throws -> FleetRollbackResult {
        let hosts = try targets.map { try DeployTarget.parse($0).host(events: DeployCommand.printEvents) }
        let result = try FleetRollback(hosts: hosts, options: options, events: DeployCommand.printEvents).run(to: to)
        if json {
            try Terminal.json(result)
        } else {
            for host in result.hosts {
                Terminal.note("\(host.host): \(host.status), current \(host.current.isEmpty ? "unknown" : host.current)")
            }
            if result.error == nil { print(result.release) }
        }
        if let error = result.error, !json { Terminal.error(error) }
        return result
    }
}

extension RollbackCommand {
    /// A rollback of one directory or SSH target without a stage or fleet options: the call a
    /// deploy script makes, which `HotCommand` also reads.
    struct Single: Equatable {
        var target: String
        var to: String?
        var health: HealthCheck?
        var wait: Double = 0
        var json = false

        func run() throws {
            var options = DeployOptions()
            if let health { options.health = health }
            options.lockWait = wait
            try RollbackCommand.rollBack(target, to: to, options: options, json: json)
        }
    }

    /// This call as a `Single`, or nil when it names a stage, several targets, a bucket or a
    /// fleet option.
    var single: Single? {
        guard targets.count == 1, let target = targets.first, !target.hasPrefix("s3://"), stageOption.stage == nil,
              fleet.batch == nil, fleet.minimumHealthyHosts == nil, fleet.drain == nil, fleet.undrain == nil else { return nil }
        return Single(target: target, to: to, health: healthUrl.map { .http(url: $0) } ?? healthCmd.map { .command($0) },
                      wait: wait, json: json)
    }
}

extension RollbackCommand.Single {
    init?(_ plain: PlainArguments) {
        guard let target = plain.value("target"), !target.hasPrefix("s3://"),
              plain.value("health-url") == nil || plain.value("health-cmd") == nil,
              let wait = plain.value("wait", { Double($0) }) else { return nil }
        self.init(target: target, to: plain.value("to"),
                  health: plain.value("health-url").map { .http(url: $0) } ?? plain.value("health-cmd").map { .command($0) },
                  wait: wait ?? 0, json: plain.flag("json"))
    }
}
