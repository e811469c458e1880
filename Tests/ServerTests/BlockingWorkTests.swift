import Foundation
import Pipeline
import SlipwayAPI
import SlipwayCore
import SlipwayTestSupport
import Specs
import Testing

/// Work that blocks never holds the cooperative pool's threads (two on a two-core machine):
/// with another process holding the state database's write lock, runs started through the
/// API wait for it on GRDB's writer queue while reads keep answering.
@Suite(.tags(.large)) struct BlockingWorkTests {
    /// `sqlite3` holding a write transaction open on the database, as a busy writer in another
    /// process does, until `release()`.
    final class LockHolder: Sendable {
        let process: Process
        let input: Pipe

        init(database: String) throws {
            process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
            process.arguments = [database]
            input = Pipe()
            let output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            try process.run()
            input.fileHandleForWriting.write(Data("BEGIN IMMEDIATE;\nSELECT 'locked';\n".utf8))
            var seen = ""
            while !seen.contains("locked") {
                let data = output.fileHandleForReading.availableData
                guard !data.isEmpty else { throw SlipwayError.failed("sqlite3 ended before taking the lock") }
                seen += String(decoding: data, as: UTF8.self)
            }
        }

        func release() {
            input.fileHandleForWriting.write(Data("COMMIT;\n".utf8))
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3")), .timeLimit(.minutes(1)))
    func readsAnswerWhileStartsWaitForTheWriteLock() async throws {
        let scratch = try TemporaryDirectory("slipway-blocking")
        let home = SlipwayHome(path: scratch.path)
        let orchestrator = try Orchestrator(home: home)
        var spec = PipelineSpec(name: "web", source: .init(repository: home.path + "/nowhere", branch: "main"))
        spec.stages = [PipelineSpec.DeployStage(name: "live", targets: [home.path + "/target"])]
        try await orchestrator.register(spec)
        try await LiveService.with(control: orchestrator) { live in
            let lock = try LockHolder(database: home.path + "/state.sqlite")
            // More starts than the cooperative pool has threads (two here), each waiting for the
            // lock; fewer than the client's eight connections, so the reads get one.
            let starts = (0..<4).map { n in
                Task { try await live.post("/api/pipelines/web/runs", token: live.token, json: #"{"commit":"\#(String(format: "%040x", n + 1))"}"#) }
            }
            try await Task.sleep(for: .milliseconds(300))
            let asked = ContinuousClock.now
            let listing = try await live.get("/api/runs")
            let took = ContinuousClock.now - asked
            #expect(listing.status == 200)
            // Blocked behind the writers, a read would wait out their 10 s busy timeout.
            #expect(took < .seconds(8), "a read waited \(took) behind writers blocked on the lock")
            #expect(try await live.get("/healthz").status == 200)
            lock.release()
            for start in starts { #expect(try await start.value.status == 201) }
        }
    }
}
