import Foundation
import SlipwayAPI

extension DashboardPages {
    /// The workers that take the service's builds (`slipway serve --workers`): what each
    /// takes, whether it is alive, and the runs it is building.
    static func workers(_ workers: [WorkerSummary]) -> HTML {
        let rows = workers.map { worker in
            var jobs: HTML = "–"
            for (i, job) in worker.jobs.enumerated() {
                let held: HTML = "<a href=\"/runs/\(job.run)\">#\(job.run)</a> \(job.stage) (job \(job.id), attempt \(job.attempt))"
                jobs = i == 0 ? held : "\(jobs), \(held)"
            }
            return """
                <tr data-worker="\(worker.name)"><td>\(worker.name)</td><td>\(worker.host)</td>\
                <td>\(worker.labels.isEmpty ? "–" : worker.labels.joined(separator: ", "))</td><td>\(worker.concurrency)</td>\
                <td class="status \(worker.state)">\(worker.state)</td><td>\(L.time(worker.heartbeat))</td><td>\(jobs)</td></tr>
                """ as HTML
        }
        return """
            <h1>Workers</h1>
            <section id="workers" data-live="workers">
            \(workers.isEmpty
                ? """
                  <p class="empty">No workers. Builds run inside the service unless it was started with \
                  <code>slipway serve --workers --artifacts s3://BUCKET/PREFIX</code>; then start one on each build machine: \
                  <code>slipway worker --database URL --artifacts s3://BUCKET/PREFIX --labels amd64</code>.</p>
                  """ as HTML
                : L.table(caption: "Workers: what each takes and what it builds now",
                          head: ["Worker", "Host", "Labels", "At once", "State", "Last heartbeat", "Building"], rows: rows))
            </section>
            """
    }
}
