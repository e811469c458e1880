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
    /// A running `slipway serve`: its address and what it printed before listening.
    struct ServeProcess {
        let process: Process
        let port: Int
        let printed: String

        static func start(home: String) async throws -> ServeProcess {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: SlipwayCommand.binary)
            process.arguments = ["serve", "--listen", "127.0.0.1:0"]
            process.environment = ProcessInfo.processInfo.environment.merging(["SLIPWAY_HOME": home]) { $1 }
            let log = home + "/serve-\(UUID().uuidString).log"
            FileManager.default.createFile(atPath: log, contents: nil)
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            for _ in 0..<200 {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                if let range = text.range(of: #"http://127\.0\.0\.1:[0-9]+/"#, options: .regularExpression),
                   let port = Int(text[range].dropFirst("http://127.0.0.1:".count).dropLast()) {
                    return ServeProcess(process: process, port: port, printed: text)
                }
                guard process.isRunning else { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            process.terminate()
            throw CancellationError()
        }

        /// SIGTERM; returns the exit status and how long the process took to go.
        func terminate() -> (Int32, Duration) {
            let started = ContinuousClock.now
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
            return (process.terminationStatus, ContinuousClock.now - started)
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func tokenOnceRunAndGracefulRestartMidRun() async throws {
        let site = try await HelloSitePipeline()
        defer { site.destroy() }
        // A build long enough to be stopped in the middle.
        let buildspec = site.repository + "/buildspec.yml"
        let slow = try String(contentsOfFile: buildspec, encoding: .utf8)
            .replacingOccurrences(of: "      - mkdir -p public\n", with: "      - mkdir -p public\n      - echo building; sleep 4\n")
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
