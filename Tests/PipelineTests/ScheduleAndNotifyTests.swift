import Crypto
import Foundation
import Pipeline
import Secrets
import SlipwayAPI
import SlipwayCore
import SlipwayTestSupport
import Specs
import Testing

/// `schedule:` starts runs on time even without new commits; `notify:` tells a real HTTP
/// receiver about a run, signed with a stored secret.
@Suite(.tags(.large), .serialized)
struct ScheduleAndNotifyTests {
    @Test func aScheduleRunsTheBranchHeadAtEachTimeEvenWhenItAlreadyRan() async throws {
        let f = try PipelineFixture()
        try await f.register { $0.schedule = try? CronSchedule("*/5 * * * *") }
        let poller = Poller(orchestrator: f.orchestrator)
        let t0 = ISO8601DateFormatter().date(from: "2026-12-01T10:01:00Z")!
        #expect(await poller.poll(now: t0).isEmpty)                              // learns the next time, 10:05
        #expect(await poller.poll(now: t0.addingTimeInterval(120)).isEmpty)      // 10:03
        let first = await poller.poll(now: t0.addingTimeInterval(250))           // 10:05:10
        #expect(first.count == 1)
        let second = await poller.poll(now: t0.addingTimeInterval(560))          // 10:10:20: the same commit again
        #expect(second.count == 1)
        for id in first + second {
            let record = try await f.finished(id)
            #expect(record.status == .succeeded)
            #expect(record.trigger.kind == .schedule)
        }
    }

    /// A receiver that records each request as a line of JSON and answers 204.
    final class Receiver {
        let process: Process
        let port: Int
        let file: String
        let directory: TemporaryDirectory

        init() throws {
            directory = try TemporaryDirectory("slipway-receiver")
            file = directory.path + "/received.jsonl"
            let script = """
                from http import server
                from json import dumps
                from sys import argv
                class H(server.BaseHTTPRequestHandler):
                    def do_POST(self):
                        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
                        with open(argv[1], 'a') as f:
                            f.write(dumps({'headers': dict(self.headers), 'body': body.decode()}) + '\\n')
                        self.send_response(204); self.end_headers()
                    def log_message(self, *a): pass
                s = server.HTTPServer(('127.0.0.1', 0), H)
                print(s.server_address[1], flush=True)
                s.serve_forever()
                """
            process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", script, file]
            let out = Pipe()
            process.standardOutput = out
            // Nothing of the test's own output is held open by the receiver.
            process.standardError = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let line = out.fileHandleForReading.availableData
            port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        }

        /// SIGKILL: the receiver may have inherited an ignored SIGTERM from the test process.
        func stop() {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        var received: [(headers: [String: String], body: String)] {
            let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap { line in
                guard let json = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
                return ((json["headers"] as? [String: String]) ?? [:], json["body"] as? String ?? "")
            }
        }
    }

    @Test func aRunIsAnnouncedToItsReceiversSigned() async throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        #expect(receiver.port > 0)
        let f = try PipelineFixture()
        try SecretStore(home: f.home).set("hook-key", value: "s3cret-key", scope: .pipeline("site"))
        try await f.register { spec in
            var hook = PipelineSpec.Notification(url: "http://127.0.0.1:\(receiver.port)/hook")
            hook.signingSecret = "hook-key"
            hook.events = [.started, .succeeded, .failed]
            spec.notify = [hook]
        }
        let run = try #require(try await f.start())
        #expect(try await f.finished(run).status == .succeeded)
        let got = try await eventually("both notices", timeout: .seconds(30), every: .milliseconds(50)) {
            receiver.received.count >= 2 ? receiver.received : nil
        }
        #expect(got.map { $0.headers["X-Slipway-Event"] ?? "" } == ["run.started", "run.succeeded"])
        for notice in got {
            let mac = HMAC<SHA256>.authenticationCode(for: Data(notice.body.utf8), using: SymmetricKey(data: Data("s3cret-key".utf8)))
            #expect(notice.headers["X-Slipway-Signature-256"] == "sha256=" + mac.map { String(format: "%02x", $0) }.joined())
            #expect(notice.body.contains("\"pipeline\":\"site\""))
        }
        let log = try await eventually("the delivery in the log", timeout: .seconds(10), every: .milliseconds(50)) {
            let text = try await f.log(run)
            return text.contains("notify succeeded → 127.0.0.1: delivered (204, 1 attempt)") ? text : nil
        }
        #expect(!log.contains("s3cret-key"))
    }
}
