import ServiceLifecycle
import SlipwayAPI

/// Keeps `ServiceMetrics` current: the runs already stored, then every run event, until the
/// service shuts down.
struct RunMetricsFeed: Service {
    let control: any PipelineControl
    let metrics: ServiceMetrics

    func run() async throws {
        // Subscribe before reading history so nothing between the two is missed.
        let events = control.events()
        var before: RunID? = nil
        while true {
            let page = try await control.runs(pipeline: nil, limit: 1000, before: before)
            page.forEach(metrics.observe)
            guard page.count == 1000, let last = page.last else { break }
            before = last.id
        }
        for await event in events.cancelOnGracefulShutdown() {
            if case .run(let record) = event { metrics.observe(record) }
        }
    }
}
