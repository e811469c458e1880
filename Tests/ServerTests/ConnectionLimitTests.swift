import Foundation
@testable import Server
import SlipwayTestSupport
import Testing

/// The connection timer as a state machine, with instants given by the test.
@Suite(.tags(.small)) struct ConnectionTimerTests {
    let limits = ConnectionLimits(maxConnections: 10, headerTimeout: .seconds(10), idleTimeout: .seconds(60), bodyTimeout: .seconds(30))
    let start = ContinuousClock.now

    @Test func aNewConnectionHasTheHeaderTimeoutHoweverItsBytesTrickle() {
        var timer = ConnectionTimer(limits: limits, now: start)
        #expect(timer.deadline == start + .seconds(10))
        timer.bytesArrived(at: start + .seconds(9))
        #expect(timer.deadline == start + .seconds(10), "slowloris bytes do not extend the head's time")
        #expect(!timer.hasRequestUnderWay)
    }

    @Test func bodiesMustProgressAndResponsesHaveNoDeadline() {
        var timer = ConnectionTimer(limits: limits, now: start)
        timer.headRead(at: start + .seconds(1))
        #expect(timer.hasRequestUnderWay)
        #expect(timer.deadline == start + .seconds(31))
        timer.bytesArrived(at: start + .seconds(20))
        #expect(timer.deadline == start + .seconds(50))
        timer.requestEnded(at: start + .seconds(21))
        #expect(timer.deadline == nil, "a response being written (a log stream) is never cut")
        timer.responseEnded(at: start + .seconds(3600))
        #expect(!timer.hasRequestUnderWay)
        #expect(timer.deadline == start + .seconds(3660), "kept alive: the idle timeout")
    }

    @Test func aKeptAliveConnectionsNextHeadHasTheHeaderTimeoutFromItsFirstByte() {
        var timer = ConnectionTimer(limits: limits, now: start)
        timer.headRead(at: start)
        timer.requestEnded(at: start)
        timer.responseEnded(at: start + .seconds(1))
        timer.bytesArrived(at: start + .seconds(40))
        #expect(timer.deadline == start + .seconds(50))
        timer.bytesArrived(at: start + .seconds(45))
        #expect(timer.deadline == start + .seconds(50))
        timer.headRead(at: start + .seconds(46))
        #expect(timer.deadline == start + .seconds(76))
    }

    @Test func anEarlyAnswerLeavesTheBodyToFinish() {
        var timer = ConnectionTimer(limits: limits, now: start)
        timer.headRead(at: start)
        timer.responseEnded(at: start + .seconds(1))  // 413 before the body was read
        #expect(timer.hasRequestUnderWay)
        #expect(timer.deadline == start + .seconds(31))
        timer.requestEnded(at: start + .seconds(2))
        #expect(!timer.hasRequestUnderWay)
    }

    @Test func defaultCapLeavesRoomForEverythingElse() {
        #expect(ConnectionLimits.defaultMaxConnections(descriptorLimit: 65_536) == 4096)
        #expect(ConnectionLimits.defaultMaxConnections(descriptorLimit: 1024) == 768)
        #expect(ConnectionLimits.defaultMaxConnections(descriptorLimit: 128) == 64)
        #expect(ConnectionLimits.defaultMaxConnections(descriptorLimit: 20) == 16)
    }
}

/// Timeouts and the connection cap on a live service.
@Suite(.tags(.medium)) struct ConnectionLimitTests {
    let limits = ConnectionLimits(maxConnections: 6, headerTimeout: .seconds(1), idleTimeout: .seconds(2), bodyTimeout: .seconds(1))

    @Test func halfSentHeadsAreClosedAfterTheHeaderTimeout() async throws {
        try await LiveService.with(control: MemoryPipeline(), limits: limits) { live throws in
            let port = live.port
            let (silent, linesSent, slowClosed) = try await offPool { () -> (Bool, Int, Bool) in
                let quiet = try RawConnection(port: port)
                let slow = try RawConnection(port: port)
                slow.send("GET /healthz HTTP/1.1\r\n")
                // A line every 0.3 s for up to 15 s: were each line to extend the head's 1 s, the
                // connection would outlive the trickle.
                var lines = 0, closed = false
                while lines < 50, !closed {
                    closed = slow.read(for: .milliseconds(300)).closed
                    if !closed { slow.send("X-Slow: 1\r\n"); lines += 1 }
                }
                return (quiet.read(for: .seconds(15)).closed, lines, closed)
            }
            #expect(silent, "a connection that sends nothing is closed")
            #expect(slowClosed && linesSent >= 1, "a head sent a line at a time is closed while it trickles (\(linesSent) lines sent)")
            let metrics = try await live.get("/metrics").text
            #expect(metrics.contains(#"slipway_http_connections_closed_total{reason="timeout"} 2"#), "\(metrics)")
        }
    }

    @Test func keptAliveConnectionsCloseWhenIdle() async throws {
        try await LiveService.with(control: MemoryPipeline(), limits: limits) { live throws in
            let port = live.port
            let (answered, openAfterOne, closedLater) = try await offPool { () -> (Bool, Bool, Bool) in
                let connection = try RawConnection(port: port)
                connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                let reply = connection.read(for: .seconds(30)) { $0.hasSuffix("ok\n") }
                let early = connection.read(for: .seconds(1))
                let late = connection.read(for: .seconds(15))
                return (reply.text.contains("200 OK"), !early.closed, late.closed)
            }
            #expect(answered)
            #expect(openAfterOne, "kept alive past the header timeout")
            #expect(closedLater, "closed after the idle timeout")
        }
    }

    @Test func atTheCapTheLongestIdleConnectionMakesRoom() async throws {
        let pipeline = MemoryPipeline()
        await pipeline.addRun(status: .running)
        let limits = ConnectionLimits(maxConnections: 4, headerTimeout: .seconds(30), idleTimeout: .seconds(30))
        try await LiveService.with(control: pipeline, limits: limits) { live throws in
            // A live log stream is busy: it is never closed for room.
            var stream = try await EventStreamClient(url: live.base + "/api/runs/1/logs/stream")
            let port = live.port
            let (oldestClosed, answers) = try await offPool { () -> (Bool, [Bool]) in
                let idle = try (0..<6).map { _ in try RawConnection(port: port) }
                Thread.sleep(forTimeInterval: 0.3)
                let answers = (0..<5).map { _ in RawConnection.get("/healthz", port: port, timeout: .seconds(10))?.hasSuffix("ok\n") == true }
                return (idle[0].read(for: .seconds(10)).closed, answers)
            }
            #expect(oldestClosed, "the longest-idle connection was closed for the new ones")
            #expect(answers.allSatisfy { $0 }, "\(answers)")
            await pipeline.appendLog(1, "still streaming\n")
            let event = try await stream.next()
            #expect(event?.data.contains("still streaming") == true, "the busy stream survived")
            let metrics = try await live.get("/metrics").text
            #expect(metrics.contains("slipway_http_connections_limit 4"))
        }
    }
}
