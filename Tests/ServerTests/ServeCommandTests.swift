import Foundation
import Pipeline
import SlipwayAPI
import SlipwayTestSupport
import State
import Testing

/// `slipway serve` as a process: the token shown once, a run over the API, SIGTERM in the
/// middle of that run, and the restarted service carrying the run on to its end.
@Suite(.tags(.large)) struct ServeCommandTests {
    @Test(.timeLimit(.minutes(2)))
    func tokenOnceRunAndGracefulRestartMidRun() async throws {
        let site = try await HelloSitePipeline()
        defer { site.destroy() }
        // A build long enough to be stopped in the middle.
        try site.edit("buildspec.yml", replacing: "      - mkdir -p public\n", with: "      - mkdir -p public\n      - echo building; sleep 12\n")
        try site.repo.commit("Slow build")

        let first = try await ServeProcess.start(home: site.home.path)
        let token = try #require(first.token, "the first start shows the token: \(first.printed)")
        #expect(try !String(contentsOfFile: site.home.path + "/serve/token.sha256", encoding: .utf8).contains(token))

        let id = try await first.startRun(of: HelloSitePipeline.name, token: token)

        // SIGTERM while the build runs and a client follows its log: the stream ends, the
        // process exits 0 without waiting for the build.
        var stream = try await EventStreamClient(url: first.address + "/api/runs/\(id)/logs/stream")
        while let event = try await stream.next(), !event.data.contains("building") {}
        let (status, took) = first.terminate()
        #expect(status == 0)
        #expect(took < .seconds(10))
        var ended = false
        while let event = try await stream.next() { ended = ended || event.event == "end" }
        #expect(!ended, "the stream closed at shutdown, not because the run finished")

        let second = try await ServeProcess.start(home: site.home.path)
        defer { _ = second.terminate() }
        #expect(second.token == nil, "the token is shown only once")
        // The restarted service takes the run over and builds again under the same run id.
        let outcome = try await second.finalStatus(ofRun: id, timeout: .seconds(60))
        #expect(outcome == RunStatus.succeeded.rawValue, "a run the stopped service owned is resumed, not interrupted")
    }
}
