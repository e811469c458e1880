import ArgumentParser
import Foundation
import Pipeline
import SlipwayAPI
import SlipwayCore

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Show the audit trail: who triggered, approved, rejected, cancelled, retried, rolled back or removed what.",
        discussion: """
            Newest first. On a terminal the columns have a header; piped, one tab-separated line \
            per entry. Exit status: 0 listed, 2 bad input or no such pipeline.
            """)

    @Option(help: "Only this pipeline's entries (a removed pipeline's too).") var pipeline: String?
    @Option(help: "How many entries.") var limit = 50
    @Option(help: "Entries older than this entry id (paging).") var before: Int64?
    @Flag(help: "Print JSON: id, time, actor, action, pipeline, run, detail.") var json = false

    func validate() throws {
        if limit < 1 { throw ValidationError("--limit must be 1 or more") }
    }

    @OptionGroup var state: DatabaseOption

    func run() async throws {
        let entries = try await state.orchestrator(readOnly: true).audit(pipeline: pipeline, limit: limit, before: before)
        if json { return try Terminal.json(entries) }
        Terminal.table(["ID", "TIME", "ACTOR", "ACTION", "PIPELINE", "RUN", "DETAIL"], entries.map { entry in
            [entry.id.map { String($0) } ?? "-", Timestamp.format(entry.time), entry.actor, entry.action.rawValue, entry.pipeline ?? "-",
             entry.run?.description ?? "-", entry.detail ?? ""]
        })
    }
}
