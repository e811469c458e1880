import Foundation
import SlipwayAPI
import SlipwayTestSupport
import Testing

/// PostgreSQL restarted (a cluster of this test's own) while `slipway serve` has a run in
/// flight: the service reconnects, the run ends as it would have, nothing it wrote meanwhile
/// is lost, and the service keeps answering and starting runs.
@Suite(.tags(.large, .cluster)) struct DatabaseRestartTests {
    @Test(.timeLimit(.minutes(4)))
    func aRunInFlightSurvivesARestartOfPostgres() async throws {
        let server = try PostgresServer.dedicated()
        let site = try await SharedSitePipeline(on: server, homes: 1, buildSeconds: 6)
        let serve = try await site.serve(0)
        defer { serve.kill9() }
        do { try await Self.restartMidRun(server, site, serve) } catch {
            Issue.record("\(error); the service's log:\n\(serve.stderr)")
        }
    }

    static func restartMidRun(_ server: PostgresServer, _ site: SharedSitePipeline, _ serve: ServeProcess) async throws {
        let token = try #require(serve.token)
        let id = try await site.startBuildingRun(on: serve, token: token)
        // Down for 3 s in the middle of the build, then up again on the same port.
        try await Task.detached { try server.restart(downFor: .seconds(3)) }.value

        let outcome = try await serve.finalStatus(ofRun: id, timeout: .seconds(90))
        #expect(outcome == RunStatus.succeeded.rawValue)
        let log = try await serve.get("/api/runs/\(id)/logs/text").body
        // The build's output written while the server was down is there, once, and in order.
        #expect(log.components(separatedBy: "built Hello from Slipway").count == 2, "\(log)")
        #expect(log.contains("run \(id): succeeded"), "\(log)")
        #expect(!log.contains("resumed after restart"), "the service kept its run: \(log)")
        #expect(FileManager.default.fileExists(atPath: site.target + "/current/index.html"))

        // The service said so, naming the database, and is the scheduler again.
        let server127 = "127.0.0.1:\(server.port)"
        #expect(serve.stderr.contains("state database \(server127) (user 'slipway') cannot be reached")
                && serve.stderr.contains("state database \(server127) answers again"), "\(serve.stderr)")
        // The election's connection: lost (scheduling stops), refused while the server is down
        // (tried again with a doubling pause), then won again.
        #expect(serve.stderr.contains("stopped being the scheduler: the scheduler election's connection to the state database at \(server127) was lost"),
                "\(serve.stderr)")
        #expect(serve.stderr.contains("scheduler election: cannot connect to the state database at \(server127)")
                && serve.stderr.contains("trying again in 250 ms"), "\(serve.stderr)")
        try await waitUntil("the service to be the scheduler again", timeout: .seconds(30)) { await serve.schedulerGauge() == 1 }

        // The API answers, and a run started after the restart runs.
        #expect(try await serve.get("/api/runs").status == 200)
        try site.commit("After the restart")
        let next = try await serve.startRun(of: SharedSitePipeline.name, token: token)
        #expect(try await serve.finalStatus(ofRun: next, timeout: .seconds(90)) == RunStatus.succeeded.rawValue)
    }
}
