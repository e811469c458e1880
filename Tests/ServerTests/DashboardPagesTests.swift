import Foundation
import SlipwayAPI
import SlipwayCore
import SlipwayTestSupport
import Testing

@Suite(.tags(.small)) struct DashboardPagesTests {
    /// A run that deployed `release` to the web pipeline's target.
    static func deployed(_ pipeline: MemoryPipeline, _ release: ReleaseID, actor: String) async -> RunRecord {
        var run = await pipeline.addRun(status: .succeeded, message: "Release \(release)", trigger: Trigger(.cli, actor: actor))
        run.stages = [StageRecord(name: "live", kind: .deploy, status: .succeeded, started: Date(), finished: Date(), output: .release(release))]
        await pipeline.update(run)
        return run
    }

    @Test func releasesSayWhoDeployedAndOfferRollbackToEachEarlierOne() async throws {
        let pipeline = MemoryPipeline(pipelines: ["web", "api"])
        let digest = try Digest(parsing: "sha256:" + String(repeating: "0", count: 64))
        var summaries: [ReleaseSummary] = []
        for (i, name) in ["r1", "r2", "r3"].enumerated() {
            let run = await Self.deployed(pipeline, ReleaseID(name), actor: "ada<\(i)>")
            summaries.insert(ReleaseSummary(id: ReleaseID(name), artifact: digest, commit: run.commit?.id, state: .published,
                                            created: Date(timeIntervalSince1970: 1_800_000_000),
                                            switched: name == "r2" ? Date(timeIntervalSince1970: 1_800_000_600) : nil, current: name == "r3"), at: 0)
        }
        // The oldest one the target's retention removed: listed, not offered.
        summaries.append(ReleaseSummary(id: ReleaseID("r0"), artifact: digest, commit: nil, state: .pruned,
                                        created: Date(timeIntervalSince1970: 1_799_000_000), switched: nil, current: false))
        await pipeline.setReleases(summaries)
        await pipeline.setReleases([summaries[0]], pipeline: "api")
        try await LiveService.with(control: pipeline) { live throws in
            for path in ["/", "/releases", "/pipelines/web"] {
                let page = try await live.get(path).text
                #expect(page.contains(#"data-body="{&quot;target&quot;:&quot;\/srv\/web&quot;,&quot;to&quot;:&quot;r1&quot;}""#), "\(path)")
                #expect(page.contains(#"data-body="{&quot;target&quot;:&quot;\/srv\/web&quot;,&quot;to&quot;:&quot;r2&quot;}""#), "\(path)")
                #expect(!page.contains("&quot;to&quot;:&quot;r3&quot;"), "the current release has no button: \(path)")
                #expect(!page.contains("&quot;to&quot;:&quot;r0&quot;"), "a pruned release has no button: \(path)")
                if path != "/" { #expect(page.contains("pruned (retention)"), "\(path)") }
                #expect(!page.contains(#"\/srv\/api"#), "a target with one release has nothing to roll back to: \(path)")
                #expect(page.contains("Roll /srv/web back to release r1 (commit ababababab, deployed by cli · ada&lt;0&gt; in run #1)? It replaces the current release r3"),
                        "\(path)")
                #expect(page.contains("<td>cli · ada&lt;2&gt;</td>"), "who deployed, escaped: \(path)")
                #expect(page.contains(#"<a href="/runs/3">#3</a>"#), "the run that deployed it: \(path)")
                #expect(page.contains(#"rolled back to <time datetime="2027-01-15T08:10:00.000Z">"#), "\(path)")
            }
        }
    }

    /// The run page names the image a build ran on and, where the pipeline checks, whether a
    /// second build reproduced the artifact, with what differed (escaped).
    @Test func runPageShowsTheImageAndTheReproducibilityCheck() async throws {
        let pipeline = MemoryPipeline(pipelines: ["web"])
        let image = try Digest(parsing: "sha256:" + String(repeating: "1", count: 64))
        var checked = await pipeline.addRun(status: .succeeded, message: "reproducible")
        checked.stages = [StageRecord(name: "build", kind: .build, status: .succeeded, started: Date(), finished: Date())]
        checked.stages[0].build = BuildFacts(image: "debian:12", imageDigest: image,
                                             check: .init(reproducible: true, secondBuild: "web:2", differences: []))
        await pipeline.update(checked)
        var differs = await pipeline.addRun(status: .failed, message: "not reproducible")
        differs.stages = [StageRecord(name: "build", kind: .build, status: .failed, started: Date(), finished: Date(), note: "build.check: not reproducible")]
        differs.stages[0].build = BuildFacts(image: "debian:12", imageDigest: image,
                                             check: .init(reproducible: false, secondBuild: "web:4",
                                                          differences: ["primary:<b>stamp.txt (content)"] + (1...60).map { "primary:f\($0) (mtime)" }))
        await pipeline.update(differs)
        var plain = await pipeline.addRun(status: .succeeded, message: "not checked")
        plain.stages = [StageRecord(name: "build", kind: .build, status: .succeeded, started: Date(), finished: Date())]
        plain.stages[0].build = BuildFacts(image: "busybox", imageDigest: image)
        await pipeline.update(plain)
        try await LiveService.with(control: pipeline) { live throws in
            let good = try await live.get("/runs/\(checked.id)").text
            #expect(good.contains("Built on image <code>debian:12</code> (<code>\(image)</code>)"), "\(good)")
            #expect(good.contains("Reproducible: a second build (<code>web:2</code>)"), "\(good)")
            let bad = try await live.get("/runs/\(differs.id)").text
            #expect(bad.contains("Not reproducible: the second build (<code>web:4</code>) differs in 61 place(s)"), "\(bad)")
            #expect(bad.contains("<li><code>primary:&lt;b&gt;stamp.txt (content)</code></li>"), "escaped: \(bad)")
            #expect(bad.contains("… and 11 more (the log lists them)"), "\(bad)")
            let unchecked = try await live.get("/runs/\(plain.id)").text
            #expect(unchecked.contains("Built on image <code>busybox</code>") && !unchecked.contains("run-check"), "\(unchecked)")
            // The API gives the same facts to programs.
            let json = try await live.get("/api/runs/\(differs.id)").text
            #expect(json.contains("\"reproducible\" : false") || json.contains("\"reproducible\":false"), "\(json)")
        }
    }

    @Test func logRangesAreRawTextWithTheirStages() async throws {
        let pipeline = MemoryPipeline()
        let run = await pipeline.addRun()
        await pipeline.appendLog(run.id, "one \"quoted\" \u{1b}[31mred\u{1b}[0m\n")
        await pipeline.appendLog(run.id, "two\n")
        try await LiveService.with(control: pipeline) { live throws in
            func range(_ query: String) async throws -> (head: [String: Any], text: String) {
                let reply = try await live.get("/api/runs/\(run.id)/logs/range\(query)")
                #expect(reply.status == 200)
                let newline = try #require(reply.body.firstIndex(of: 10))
                let head = try #require(try JSONSerialization.jsonObject(with: reply.body[..<newline]) as? [String: Any])
                return (head, String(decoding: reply.body[(newline + 1)...], as: UTF8.self))
            }
            let first = "one \"quoted\" \u{1b}[31mred\u{1b}[0m\n"
            let size = first.utf8.count
            let all = try await range("")
            #expect(all.text == first + "two\n", "the text as written, not escaped")
            #expect(all.head["next"] as? Int == size + 4)
            #expect((all.head["parts"] as? [[String: Any]])?.map { $0["stage"] as? String } == ["build"])
            #expect((all.head["parts"] as? [[String: Any]])?.first?["size"] as? Int == size + 4)
            // A page ends after the chunk that reaches the limit; the next starts there.
            let page = try await range("?limit=1")
            #expect(page.text == first)
            #expect(try await range("?after=\(size)").text == "two\n")
            #expect(try await range("?after=4").text == String(first.dropFirst(4)) + "two\n", "a range from inside a chunk")
            #expect(try await live.get("/api/runs/\(run.id)/logs/range?limit=0").status == 400)

            let download = try await live.get("/api/runs/\(run.id)/logs/text")
            #expect(download.text == first + "two\n")
            #expect(download.headers["content-disposition"] == "attachment; filename=\"slipway-run-\(run.id).log\"")
            #expect(try await live.get("/api/runs/99/logs/text").status == 404)
        }
    }

    @Test func pageStreamsSayWhatChanged() async throws {
        let pipeline = MemoryPipeline(pipelines: ["web", "api"])
        try await LiveService.with(control: pipeline) { live throws in
            var all = try await EventStreamClient(url: live.base + "/api/events")
            var api = try await EventStreamClient(url: live.base + "/api/events?pipeline=api")
            #expect(all.status == 200)
            #expect(all.contentType?.hasPrefix("text/event-stream") == true)
            try await Task.sleep(for: .milliseconds(200))
            let run = await pipeline.addRun(pipeline: "web")
            let started = try #require(try await all.next())
            #expect(started.event == "run")
            #expect(started.data == #"{"id":\#(run.id),"pipeline":"web","status":"running"}"#)
            await pipeline.addRun(pipeline: "api", status: .waitingApproval)
            let waiting = try #require(try await api.next())
            #expect(waiting.data.contains(#""pipeline":"api","status":"waiting_approval""#), "only its pipeline's runs")
            // The audit trail growing (a rollback from the CLI) is a change too.
            await pipeline.addAudit(AuditEntry(actor: "ada", action: .rollback, pipeline: "web", run: nil, detail: "/srv/web: r2 → r1"))
            var next = try #require(try await all.next())
            while next.event == "run" { next = try #require(try await all.next()) }
            #expect(next.event == "audit")
            #expect(next.data == #"{"id":1}"#)
        }
    }

    @Test func auditPageAndTheEmptyState() async throws {
        let pipeline = MemoryPipeline(pipelines: [])
        await pipeline.addAudit(AuditEntry(actor: "<b>ada</b>", action: .approve, pipeline: "web", run: RunID(4), detail: "looks good"))
        try await LiveService.with(control: pipeline) { live throws in
            let audit = try await live.get("/audit").text
            #expect(audit.contains("<caption class=\"visually-hidden\">Audit trail, newest first</caption>"))
            #expect(audit.contains("<td>&lt;b&gt;ada&lt;/b&gt;</td><td>approve</td>"))
            #expect(audit.contains(#"<a href="/runs/4">#4</a>"#))
            #expect(audit.contains(#"data-events="/api/events""#), "the trail is live")
            let overview = try await live.get("/").text
            #expect(overview.contains("No pipelines yet"))
            #expect(overview.contains("slipway run ~/src/app --target /srv/app"))
            #expect(overview.contains("slipway image build images/busybox"))
            #expect(try await live.get("/releases").status == 200)
        }
    }

    @Test func workersPageShowsWhatEachTakesAndBuildsAndTheEmptyStateSaysHowToStartOne() async throws {
        let pipeline = MemoryPipeline()
        try await LiveService.with(control: pipeline) { live throws in
            let empty = try await live.get("/workers").text
            #expect(empty.contains("No workers.") && empty.contains("slipway serve --workers") && empty.contains("slipway worker --database"))
            await pipeline.setWorkers([
                WorkerSummary(name: "<i>builder-1</i>", host: "ci-1", labels: ["amd64", "large"], concurrency: 2, state: "working",
                              heartbeat: Date(), secondsSinceHeartbeat: 1, jobs: [.init(id: 7, run: RunID(4), stage: "build", attempt: 2)]),
                WorkerSummary(name: "builder-2", host: "ci-2", labels: [], concurrency: 1, state: "lost",
                              heartbeat: Date(timeIntervalSinceNow: -300), secondsSinceHeartbeat: 300, jobs: []),
            ])
            let page = try await live.get("/workers").text
            #expect(page.contains("<caption class=\"visually-hidden\">Workers: what each takes and what it builds now</caption>"))
            #expect(page.contains("<td>&lt;i&gt;builder-1&lt;/i&gt;</td><td>ci-1</td><td>amd64, large</td><td>2</td><td class=\"status working\">working</td>"), "\(page)")
            #expect(page.contains(#"<a href="/runs/4">#4</a> build (job 7, attempt 2)"#))
            #expect(page.contains(#"<td class="status lost">lost</td>"#))
            #expect(page.contains(#"<a href="/workers">Workers</a>"#) && page.contains(#"data-events="/api/events""#))
            let api = try await live.get("/api/workers")
            let listed = try Timestamp.decoder().decode([WorkerSummary].self, from: api.body)
            #expect(listed.map(\.name) == ["<i>builder-1</i>", "builder-2"] && listed[0].jobs.first?.run == RunID(4))
        }
    }
}
