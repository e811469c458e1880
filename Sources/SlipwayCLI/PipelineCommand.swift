import ArgumentParser
import Foundation
import Pipeline
import SlipwayCore
import Specs

struct PipelineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Register pipelines (slipway.yml) with the state a 'slipway serve' runs, list them, roll a target back.",
        subcommands: [Add.self, List.self, Rollback.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add",
            abstract: "Register or update the pipeline a slipway.yml describes.",
            discussion: "Errors are printed as FILE:LINE:COL. Exit status: 0 registered, 2 the file is unreadable or invalid.")

        @Argument(help: "A slipway.yml, or a directory holding one.") var file = "slipway.yml"

        func run() async throws {
            var isDirectory: ObjCBool = false
            let path = FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) && isDirectory.boolValue
                ? file + "/slipway.yml" : file
            let loaded: (spec: PipelineSpec, warnings: [Diagnostic])
            do { loaded = try PipelineSpec.load(file: SlipwayHome.absolute(path)) } catch let error as SpecError {
                throw SlipwayError.badInput(error.description)
            }
            for warning in loaded.warnings { Terminal.note(warning.description) }
            try await Orchestrator(home: .fromEnvironment()).register(loaded.spec)
            print(loaded.spec.name)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List registered pipelines with their latest run.")

        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let pipelines = try await Orchestrator(home: .fromEnvironment(), readOnly: true).pipelines()
            if json { return try Terminal.json(pipelines) }
            for p in pipelines {
                let latest = p.latest.map { "run \($0.id) \($0.status.rawValue)" } ?? "no runs"
                print([p.name, p.repository, p.branch, p.targets.joined(separator: ","), latest].joined(separator: "\t"))
            }
        }
    }

    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rollback",
            abstract: "Switch a pipeline's target back to the previous good release (or --to one); recorded in the audit trail.",
            discussion: "Exit status: 0 rolled back, 1 the rollback failed, 2 no such pipeline, target or release.")

        @Argument(help: "The pipeline.") var pipeline: String
        @Option(help: "The target, as the pipeline names it.") var target: String
        @Option(help: "A release id, unique prefix or sequence number.") var to: String?
        @Flag(help: "Print JSON: target, from, to.") var json = false

        func run() async throws {
            let summary = try await Orchestrator(home: .fromEnvironment())
                .rollback(pipeline: pipeline, target: target, to: to, by: CLIActor.current)
            if json { try Terminal.json(summary) } else { print(summary.to.rawValue) }
        }
    }
}
