import Foundation
import Pipeline
import SlipwayAPI
import SlipwayTestSupport
import State
import Testing

/// The service over the real orchestrator: a real git repository, a real build in the
/// sandbox on the busybox image, a real deploy to a local target.
@Suite(.tags(.large), .serialized) struct EndToEndTests {
    @Test(.timeLimit(.minutes(3)))
    func signedPushDeploysTheCommitAndRollbackRestoresThePrevious() async throws {
        let site = try await HelloSitePipeline()
        defer { site.destroy() }
        try await LiveService.with(control: site.orchestrator) { live throws in
            let first = try site.commit("First change")
            let body = pushPayload(repository: site.repository, after: first)

            let forged = try await live.hook(body, signature: "sha256=" + String(repeating: "0", count: 64))
            #expect(forged.status == 401)
            let unsigned = try await live.hook(body, signature: nil)
            #expect(unsigned.status == 401)
            #expect(try await site.orchestrator.runs(pipeline: nil, limit: 10, before: nil).isEmpty, "nothing queued")

            let signed = try await live.hook(body, signature: try githubSignature(body, secret: live.service.webhookSecret))
            #expect(signed.status == 202)
            let id = try #require((try signed.json() as? [String: Any])?["runs"] as? [Int]).first ?? 0

            // The log arrives live over server-sent events and ends with the run's status.
            var stream = try await EventStreamClient(url: live.base + "/api/runs/\(id)/logs/stream")
            var log = ""
            var end: String?
            while let event = try await stream.next() {
                if event.event == "end" { end = event.data; break }
                let chunk = try JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any]
                log += chunk?["text"] as? String ?? ""
            }
            #expect(end == #"{"status":"succeeded"}"#, "log:\n\(log)")
            #expect(log.contains("built Hello from Slipway"))
            let run = try await site.orchestrator.wait(run: RunID(Int64(id)))
            #expect(run.status == .succeeded)
            #expect(run.commit?.id == first)
            #expect(run.trigger.kind == .webhook)
            #expect(site.served?.contains("Release: \(first)") == true, "the pushed commit is served")

            // A second commit through the API, then a rollback through the API.
            let second = try site.commit("Second change")
            let started = try await live.post("/api/pipelines/\(HelloSitePipeline.name)/runs", token: live.token)
            #expect(started.status == 201)
            let secondID = try #require((try started.json() as? [String: Any])?["run"] as? Int)
            #expect(try await site.orchestrator.wait(run: RunID(Int64(secondID))).status == .succeeded)
            #expect(site.served?.contains("Release: \(second)") == true)

            let releases = try #require(try await live.get("/api/pipelines/\(HelloSitePipeline.name)/releases").json() as? [[String: Any]])
            let listed = try #require(releases.first?["releases"] as? [[String: Any]])
            #expect(listed.count == 2)
            #expect(listed.first?["current"] as? Bool == true)

            let rollback = try await live.post("/api/pipelines/\(HelloSitePipeline.name)/rollback", token: live.token,
                                              json: #"{"target":"\#(site.target)"}"#)
            #expect(rollback.status == 200, "\(rollback.text)")
            #expect(site.served?.contains("Release: \(first)") == true, "rolled back to the first commit")

            // The metrics follow the event stream, a moment behind the store.
            let metrics = try await eventually("the metrics to count both runs", timeout: .seconds(10), every: .milliseconds(50)) {
                let text = try await live.get("/metrics").text
                return text.contains(#"slipway_runs{status="succeeded"} 2"#) ? text : nil
            }
            #expect(metrics.contains(#"slipway_stages_total{kind="build",status="succeeded"} 2"#), "\(metrics)")
            #expect(metrics.contains(#"slipway_stages_total{kind="deploy",status="succeeded"} 2"#))
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func approvalThroughTheAPI() async throws {
        let site = try await HelloSitePipeline(approval: true)
        defer { site.destroy() }
        try await LiveService.with(control: site.orchestrator) { live throws in
            let path = "/api/pipelines/\(HelloSitePipeline.name)/runs"
            let id = try #require((try await live.post(path, token: live.token).json() as? [String: Any])?["run"] as? Int)
            try await waitForStatus(live, run: id, "waiting_approval")
            #expect(site.served == nil, "nothing deployed before the approval")
            #expect(try await live.post("/api/runs/\(id)/approve", token: "wrong").status == 401)
            let approved = try await live.post("/api/runs/\(id)/approve", token: live.token, json: #"{"comment":"ship it"}"#)
            #expect(approved.status == 200)
            #expect(try await site.orchestrator.wait(run: RunID(Int64(id))).status == .succeeded)
            #expect(site.served?.contains("Hello from Slipway") == true)

            let next = try site.commit("Rejected change")
            let second = try #require((try await live.post(path, token: live.token).json() as? [String: Any])?["run"] as? Int)
            try await waitForStatus(live, run: second, "waiting_approval")
            #expect(try await live.post("/api/runs/\(second)/reject", token: live.token).status == 200)
            #expect(try await site.orchestrator.wait(run: RunID(Int64(second))).status != .succeeded)
            #expect(site.served?.contains(next) == false, "a rejected run deploys nothing")
            #expect((400..<500).contains(try await live.post("/api/runs/\(second)/approve", token: live.token).status), "decided already")
        }
    }

    private func waitForStatus(_ live: LiveService, run: Int, _ status: String) async throws {
        try await waitUntil("run \(run) to reach \(status)", timeout: .seconds(30), every: .milliseconds(50)) {
            try (await live.get("/api/runs/\(run)").json() as? [String: Any])?["status"] as? String == status
        }
    }
}
