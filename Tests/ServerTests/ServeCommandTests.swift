import AsyncHTTPClient
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
        let buildspec = site.repository + "/buildspec.yml"
        let slow = try String(contentsOfFile: buildspec, encoding: .utf8)
            .replacingOccurrences(of: "      - mkdir -p public\n", with: "      - mkdir -p public\n      - echo building; sleep 12\n")
        try slow.write(toFile: buildspec, atomically: true, encoding: .utf8)
        try site.repo.commit("Slow build")

        let first = try await ServeProcess.start(home: site.home.path)
        let token = try #require(first.printed.range(of: "slw_[0-9a-f]{64}", options: .regularExpression).map { String(first.printed[$0]) },
                                 "the first start shows the token: \(first.printed)")
        #expect(try !String(contentsOfFile: site.home.path + "/serve/token.sha256", encoding: .utf8).contains(token))

        let base = "http://127.0.0.1:\(first.port)"
        let api = LiveService.client
        var request = HTTPClientRequest(url: base + "/api/pipelines/\(HelloSitePipeline.name)/runs")
        request.method = .init(rawValue: "POST")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let started = try await api.execute(request, timeout: .seconds(30))
        #expect(started.status.code == 201)
        let body = try await started.body.collect(upTo: 1 << 16)
        let id = try #require((try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])?["run"] as? Int)

        // SIGTERM while the build runs and a client follows its log: the stream ends, the
        // process exits 0 without waiting for the build.
        var stream = try await EventStreamClient(url: base + "/api/runs/\(id)/logs/stream")
        while let event = try await stream.next(), !event.data.contains("building") {}
        let (status, took) = first.terminate()
        #expect(status == 0)
        #expect(took < .seconds(10))
        var ended = false
        while let event = try await stream.next() { ended = ended || event.event == "end" }
        #expect(!ended, "the stream closed at shutdown, not because the run finished")

        let second = try await ServeProcess.start(home: site.home.path)
        defer { _ = second.terminate() }
        #expect(second.printed.range(of: "slw_[0-9a-f]{64}", options: .regularExpression) == nil, "the token is shown only once")
        // The restarted service takes the run over and builds again under the same run id.
        let outcome = try await eventually("run \(id) to end after the restart", timeout: .seconds(60), every: .milliseconds(200)) { () -> String? in
            let reply = try await api.execute(HTTPClientRequest(url: "http://127.0.0.1:\(second.port)/api/runs/\(id)"), timeout: .seconds(30))
            let run = try JSONSerialization.jsonObject(with: Data(try await reply.body.collect(upTo: 1 << 20).readableBytesView)) as? [String: Any]
            let status = run?["status"] as? String
            return status.flatMap(RunStatus.init(rawValue:))?.isFinal == true ? status : nil
        }
        #expect(outcome == RunStatus.succeeded.rawValue, "a run the stopped service owned is resumed, not interrupted")
    }
}
