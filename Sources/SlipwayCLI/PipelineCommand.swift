import ArgumentParser
import Foundation
import Pipeline
import SlipwayCore
import Specs

struct PipelineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Register pipelines (slipway.yml) with the state a 'slipway serve' runs, list and remove them, roll a target back.",
        subcommands: [Add.self, List.self, Remove.self, Rollback.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add",
            abstract: "Register or update the pipeline a slipway.yml describes.",
            discussion: "Errors are printed as FILE:LINE:COL. Exit status: 0 registered, 2 the file is unreadable or invalid.")

        @Argument(help: "A slipway.yml, or a directory holding one.") var file = "slipway.yml"

        @OptionGroup var state: DatabaseOption

        func run() async throws {
            var isDirectory: ObjCBool = false
            let path = FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) && isDirectory.boolValue
                ? file + "/slipway.yml" : file
            let loaded: (spec: PipelineSpec, warnings: [Diagnostic])
            do { loaded = try PipelineSpec.load(file: SlipwayHome.absolute(path)) } catch let error as SpecError {
                throw SlipwayError.badInput(error.description)
            }
            for warning in loaded.warnings { Terminal.note(warning.description) }
            try await state.orchestrator().register(loaded.spec)
            print(loaded.spec.name)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List registered pipelines with their latest run.",
            discussion: "On a terminal the columns have a header; piped, one tab-separated line per pipeline.")

        @Flag(help: "Print JSON.") var json = false

        @OptionGroup var state: DatabaseOption

        func run() async throws {
            let pipelines = try await state.orchestrator(readOnly: true).pipelines()
            if json { return try Terminal.json(pipelines) }
            Terminal.table(["PIPELINE", "REPOSITORY", "BRANCH", "TARGETS", "LATEST"], pipelines.map { p in
                [p.name, p.repository, p.branch, p.targets.joined(separator: ","), p.latest.map { "run \($0.id) \($0.status.rawValue)" } ?? "no runs"]
            })
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm",
            abstract: "Unregister a pipeline; its runs, logs and recorded releases stay as history unless --purge.",
            discussion: """
                No new runs start for it (pushes, polls, schedules, the API). Deploy targets are \
                not touched, and the audit trail keeps every entry, this removal included. A \
                pipeline with a run in flight is refused unless --force, which cancels the run \
                and waits for it to end. Exit status: 0 removed, 1 refused (a run in flight), \
                2 no such pipeline.
                """)

        @Argument(help: "The pipeline.") var pipeline: String
        @Flag(help: "Delete its runs, their logs and its recorded releases too.") var purge = false
        @Flag(help: "Cancel its runs in flight first.") var force = false
        @Flag(help: "Print JSON: pipeline, runs, releases (how many were deleted).") var json = false

        @OptionGroup var state: DatabaseOption

        func run() async throws {
            let removal = try await state.orchestrator()
                .remove(pipeline: pipeline, purge: purge, force: force, by: CLIActor.current)
            if json { return try Terminal.json(removal) }
            Terminal.note(purge ? "removed pipeline \(pipeline) with its \(removal.runs) runs and \(removal.releases) recorded releases"
                                : "removed pipeline \(pipeline); its runs and releases stay listed (--purge deletes them)")
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

        @OptionGroup var state: DatabaseOption

        func run() async throws {
            let summary = try await state.orchestrator()
                .rollback(pipeline: pipeline, target: target, to: to, by: CLIActor.current)
            if json { try Terminal.json(summary) } else { print(summary.to.rawValue) }
        }
    }
}
