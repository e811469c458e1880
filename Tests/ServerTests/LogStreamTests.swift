import Foundation
import SlipwayTestSupport
import Testing

@Suite(.tags(.small)) struct LogStreamTests {
    @Test func liveLogsAreStreamedAndResumable() async throws {
        let pipeline = MemoryPipeline()
        let run = await pipeline.addRun()
        await pipeline.appendLog(run.id, "phase install\n")
        try await LiveService.with(control: pipeline) { live throws in
            var stream = try await EventStreamClient(url: live.base + "/api/runs/\(run.id)/logs/stream")
            #expect(stream.status == 200)
            #expect(stream.contentType?.hasPrefix("text/event-stream") == true)
            let first = try #require(try await stream.next())
            #expect(first.event == "log")
            #expect(first.id == "14")
            #expect(first.data.contains(#""text":"phase install\n""#))

            // Lines written while the client listens arrive as they are written.
            await pipeline.appendLog(run.id, "héllo <b>\n")
            let second = try #require(try await stream.next())
            #expect(second.id == String(14 + "héllo <b>\n".utf8.count))
            await pipeline.appendLog(run.id, "done\n")
            let third = try #require(try await stream.next())
            await pipeline.finish(run.id, status: .succeeded)
            // The run's change comes as `run` (what a run page refreshes on), then `end`.
            var end = try #require(try await stream.next())
            while end.event == "run" { end = try #require(try await stream.next()) }
            #expect(end.event == "end")
            #expect(end.data == #"{"status":"succeeded"}"#)
            #expect(try await stream.next() == nil)

            // A reconnect with Last-Event-ID replays only what came after it.
            var resumed = try await EventStreamClient(url: live.base + "/api/runs/\(run.id)/logs/stream", lastEventID: second.id)
            #expect(try await resumed.next()?.data == third.data)
            #expect(try await resumed.next()?.event == "run")
            #expect(try await resumed.next()?.event == "end")

            let page = try #require(try await live.get("/api/runs/\(run.id)/logs?after=14").json() as? [String: Any])
            #expect((page["chunks"] as? [[String: Any]])?.count == 2)
            #expect(page["next"] as? Int == Int(third.id!))
        }
    }

    @Test func badResumePointsAreRefused() async throws {
        let pipeline = MemoryPipeline()
        await pipeline.addRun()
        try await LiveService.with(control: pipeline) { live throws in
            let bad = try await live.request(.GET, "/api/runs/1/logs/stream", headers: ["Last-Event-ID": "abc"])
            #expect(bad.status == 400)
            #expect(try (bad.json() as? [String: String])?["field"] == "Last-Event-ID")
            #expect(try await live.get("/api/runs/7/logs/stream").status == 404)
        }
    }
}
