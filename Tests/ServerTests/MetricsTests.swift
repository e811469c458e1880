import Foundation
import SlipwayTestSupport
import Testing

@Suite(.tags(.small)) struct MetricsTests {
    @Test func exposition() async throws {
        let pipeline = MemoryPipeline()
        let done = await pipeline.addRun(status: .running)
        try await LiveService.with(control: pipeline) { live throws in
            await pipeline.finish(done.id, status: .succeeded)
            await pipeline.addRun(status: .running)
            _ = try await live.get("/api/runs")
            _ = try await live.get("/api/runs/1")
            _ = try await live.get("/api/runs/2")
            _ = try await live.post("/api/pipelines/web/runs")
            // The events feed is asynchronous: wait until it has seen both runs.
            let reply = try await eventually("the metrics to see both runs", timeout: .seconds(10), every: .milliseconds(50)) {
                let reply = try await live.get("/metrics")
                return reply.text.contains(#"slipway_runs{status="running"} 1"#) ? reply : nil
            }
            #expect(reply.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
            let text = reply.text
            #expect(text.hasSuffix("\n"))

            // Every line is a comment (# HELP / # TYPE) or `name{labels} value`.
            let sample = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*",?)*\})? -?[0-9.e+Inf]+$/
            var typed = Set<String>()
            for line in text.split(separator: "\n") {
                if line.hasPrefix("# TYPE ") {
                    let parts = line.split(separator: " ")
                    #expect(parts.count == 4 && ["counter", "gauge", "histogram"].contains(parts[3]))
                    #expect(typed.insert(String(parts[2])).inserted, "one TYPE per family")
                } else if !line.hasPrefix("# HELP ") {
                    #expect(line.wholeMatch(of: sample) != nil, "\(line)")
                }
            }
            #expect(typed == ["slipway_runs", "slipway_stages_total", "slipway_stage_duration_seconds", "slipway_http_requests_total",
                              "slipway_http_connections", "slipway_http_connections_limit", "slipway_http_connections_closed_total"])
            #expect(text.contains(#"slipway_runs{status="succeeded"} 1"#))
            #expect(text.contains(#"slipway_runs{status="running"} 1"#))
            #expect(text.contains(#"slipway_stages_total{kind="build",status="succeeded"} 1"#))
            #expect(text.contains(#"slipway_stage_duration_seconds_bucket{kind="build",le="1"} 0"#))
            #expect(text.contains(#"slipway_stage_duration_seconds_bucket{kind="build",le="2.5"} 1"#))
            #expect(text.contains(#"slipway_stage_duration_seconds_bucket{kind="build",le="+Inf"} 1"#))
            #expect(text.contains(#"slipway_stage_duration_seconds_sum{kind="build"} 2"#))
            #expect(text.contains(#"slipway_http_requests_total{method="GET",route="/api/runs/{id}",status="200"} 2"#))
            #expect(text.contains(#"slipway_http_requests_total{method="POST",route="/api/pipelines/{pipeline}/runs",status="401"} 1"#))
        }
    }
}
