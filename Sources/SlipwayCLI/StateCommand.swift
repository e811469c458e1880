import ArgumentParser
import Foundation
import SlipwayCore
import State

struct StateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "Move the state (runs, logs, releases, audit, …) between databases.",
        subcommands: [Migrate.self])

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "migrate",
            abstract: "Copy an installation's state into another database, e.g. from SQLite into PostgreSQL.",
            discussion: """
                Copies every pipeline, run, stage, log chunk, release, approval, audit entry and push, \
                with their ids, then prints how many of each it copied. The destination must be empty; \
                its schema is created. Stop `slipway serve` and other writers of the source first. If \
                the copy fails, what it wrote is deleted again. Exit status: 0 copied, 1 the copy \
                failed, 2 bad input (a bad URL or password, a destination that is not empty).
                """)

        @Option(help: ArgumentHelp("The state to copy: sqlite:PATH or postgres://… (default: sqlite:$SLIPWAY_HOME/state.sqlite).",
                                   valueName: "location"))
        var from: String?
        @Option(help: ArgumentHelp("Where to copy it: postgres://USER:PASS@HOST:PORT/DB (or sqlite:PATH).", valueName: "location"))
        var to: String
        @Flag(help: "Print JSON: the rows copied per kind.") var json = false

        func run() async throws {
            let source = try from.map(StateLocation.init(parsing:)) ?? .sqlite(path: SlipwayHome.fromEnvironment().path + "/state.sqlite")
            let destination = try StateLocation(parsing: to)
            guard source != destination else { throw SlipwayError.badInput("--from and --to are the same database (\(source))") }
            if case let .sqlite(path) = source, !FileManager.default.fileExists(atPath: path) {
                throw SlipwayError.notFound("--from \(source): no such file")
            }
            let patience = try DatabaseOption.patience()
            func note(_ location: StateLocation) -> @Sendable (String) -> Void {
                { retry in Terminal.note("state database \(location): \(retry)") }
            }
            let reader = try await StateStore.open(source, readOnly: true, patience: patience, onRetry: note(source))
            let writer = try await StateStore.open(destination, patience: patience, onRetry: note(destination))
            let copied = try await reader.copy(into: writer)
            if json { return try Terminal.json(copied) }
            print("copied \(source) to \(destination):")
            let width = copied.map(\.kind.count).max() ?? 0
            for entry in copied {
                print("  " + entry.kind.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(entry.count)")
            }
        }
    }
}
