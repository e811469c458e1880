import ArgumentParser
import Foundation
import ObjectStorage
import Pipeline
import SlipwayCore
import State

/// `--database`: where the state is (runs, stages, logs, releases, approvals, pushes, audit).
/// Without it (and without $SLIPWAY_DATABASE) the state is $SLIPWAY_HOME/state.sqlite, as
/// always; with a postgres:// URL, every command that opens the state opens that database.
struct DatabaseOption: ParsableArguments {
    @Option(help: ArgumentHelp("""
        Keep the state in this PostgreSQL database, postgres://USER:PASS@HOST:PORT/DB, instead of \
        $SLIPWAY_HOME/state.sqlite (default: $SLIPWAY_DATABASE).
        """, valueName: "url"))
    var database: String?

    /// The configured location; nil: the home's SQLite file.
    func location(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> StateLocation? {
        guard let text = database ?? environment["SLIPWAY_DATABASE"].flatMap({ $0.isEmpty ? nil : $0 }) else { return nil }
        return try StateLocation(parsing: text)
    }

    /// How long a database that does not answer is waited for at start ($SLIPWAY_DATABASE_WAIT
    /// seconds, default 30).
    static func patience(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Duration {
        guard let text = environment["SLIPWAY_DATABASE_WAIT"], !text.isEmpty else { return .seconds(30) }
        guard let seconds = Double(text), seconds >= 0 else {
            throw SlipwayError.badInput("SLIPWAY_DATABASE_WAIT='\(text)': not a number of seconds")
        }
        return .milliseconds(Int64(seconds * 1000))
    }

    /// Opens the state: the configured database (waiting for it, saying so), or the home's file.
    func store(home: SlipwayHome, readOnly: Bool = false) async throws -> StateStore {
        guard let location = try location() else { return try StateStore(home: home, readOnly: readOnly) }
        return try await StateStore.open(location, readOnly: readOnly, patience: try Self.patience()) { retry in
            Terminal.note("state database \(location): \(retry)")
        }
    }

    /// An orchestrator on the configured state.
    func orchestrator(home: SlipwayHome = .fromEnvironment(), readOnly: Bool = false,
                      artifacts: ArtifactBucket? = nil, buildsOnWorkers: Bool = false) async throws -> Orchestrator {
        Orchestrator(home: home, store: try await store(home: home, readOnly: readOnly), artifacts: artifacts, buildsOnWorkers: buildsOnWorkers)
    }
}
