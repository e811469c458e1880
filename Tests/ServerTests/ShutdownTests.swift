import Foundation
import Server
import SlipwayTestSupport
import Testing

@Suite(.tags(.small)) struct ShutdownTests {
    /// A request in flight when shutdown starts is answered in full; the listener is closed.
    @Test func inFlightRequestsFinish() async throws {
        let pipeline = MemoryPipeline()
        await pipeline.addRun()
        let live = try await LiveService.start(control: pipeline)
        await pipeline.setRunsDelay(.milliseconds(800))
        async let slow = live.get("/api/runs")
        try await Task.sleep(for: .milliseconds(200))
        let started = ContinuousClock.now
        try await live.stop()
        let reply = try await slow
        #expect(reply.status == 200)
        #expect(try (reply.json() as? [String: Any])?["runs"] as? [Any] != nil)
        #expect(ContinuousClock.now - started >= .milliseconds(400), "shutdown waited for the request")
        #expect(!Loopback.acceptsConnections(port: live.port), "the listener is closed")
    }

    /// Loops beside the server (the orchestrator's poller) are cancelled at shutdown.
    @Test func backgroundLoopsStopAtShutdown() async throws {
        let (ticks, tick) = AsyncStream.makeStream(of: Void.self)
        let loop = BackgroundLoop {
            while !Task.isCancelled {
                tick.yield()
                try? await Task.sleep(for: .milliseconds(20))
            }
            tick.finish()
        }
        let live = try await LiveService.start(control: MemoryPipeline(), services: [loop])
        var iterator = ticks.makeAsyncIterator()
        #expect(await iterator.next() != nil, "the loop runs")
        try await live.stop()
        while await iterator.next() != nil {}
    }

    /// Live log streams end at shutdown instead of holding it open.
    @Test func logStreamsEndAtShutdown() async throws {
        let pipeline = MemoryPipeline()
        let run = await pipeline.addRun()
        await pipeline.appendLog(run.id, "working\n")
        let live = try await LiveService.start(control: pipeline)
        var stream = try await EventStreamClient(url: live.base + "/api/runs/\(run.id)/logs/stream")
        #expect(try await stream.next()?.event == "log")
        let started = ContinuousClock.now
        try await live.stop()
        #expect(try await stream.next() == nil)
        #expect(ContinuousClock.now - started < .seconds(20), "well before the 30 s shutdown bound")
    }
}
