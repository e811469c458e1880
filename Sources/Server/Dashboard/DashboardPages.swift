import Foundation
import SlipwayAPI

/// The dashboard's pages as HTML fragments (the frame is `DashboardLayout.page`).
enum DashboardPages {
    typealias L = DashboardLayout

    /// Pipelines with their latest run, waiting approvals, releases per target, recent runs.
    static func overview(pipelines: [PipelineSummary], releases: [String: Result<[TargetReleases], any Error>],
                         recent: [RunRecord]) -> HTML {
        let waiting = recent.filter { $0.status == .waitingApproval }
        let approvals: HTML = waiting.isEmpty ? "" : """
            <section id="approvals"><h2>Waiting for approval</h2><table>
            <tr><th>Run</th><th>Pipeline</th><th>Commit</th><th></th></tr>
            \(waiting.map { run in "<tr><td>\(L.runLink(run))</td><td>\(run.pipeline)</td><td>\(L.commit(run.commit))</td><td>\(approvalButtons(run))</td></tr>" as HTML })
            </table></section>
            """
        let cards = pipelines.map { pipeline(summary: $0, releases: releases[$0.name]) }
        return """
            <h1>Pipelines</h1>
            \(approvals)
            \(pipelines.isEmpty ? "<p class=\"empty\">No pipelines registered yet.</p>" as HTML : "")
            \(cards)
            <section id="runs"><h2>Recent runs</h2>\(runTable(recent))</section>
            """
    }

    static func pipeline(summary: PipelineSummary, releases: Result<[TargetReleases], any Error>?) -> HTML {
        let name = HTML.pathSegment(summary.name)
        let latest: HTML = summary.latest.map { run in
            "Latest run \(L.runLink(run)) \(L.status(run.status)) \(L.commit(run.commit))" as HTML
        } ?? "No runs yet."
        var targets: [HTML] = []
        switch releases {
        case .success(let list)?:
            targets = list.map { target(pipeline: summary.name, $0) }
        case .failure(let error)?:
            targets = ["<p class=\"error\">Releases could not be read: \(ErrorText.redactingPaths(String(describing: error)))</p>"]
        case nil:
            break
        }
        return """
            <section class="pipeline" data-pipeline="\(summary.name)"><h2>\(summary.name)</h2>
            <p class="meta"><code>\(summary.repository)</code> branch <code>\(summary.branch)</code></p>
            <p>\(latest) \(L.action("Run pipeline", url: "/api/pipelines/\(name)/runs", kind: "primary run"))</p>
            \(targets)
            </section>
            """
    }

    static func target(pipeline: String, _ target: TargetReleases) -> HTML {
        let body = (try? String(decoding: JSONEncoder().encode(["target": target.target]), as: UTF8.self)) ?? "{}"
        let rollback = L.action("Roll back", url: "/api/pipelines/\(HTML.pathSegment(pipeline))/rollback", body: body,
                                confirm: "Roll \(target.target) back to the previous good release?", kind: "rollback")
        let rows = target.releases.prefix(10).map { release in
            """
            <tr\(release.current ? " class=\"current\"" as HTML : "")><td>\(release.current ? "●" : "")</td>
            <td><code>\(release.id)</code></td><td><code>\(String((release.commit ?? "–").prefix(10)))</code></td>
            <td>\(release.state.rawValue)</td><td>\(L.time(release.switched ?? release.created))</td></tr>
            """ as HTML
        }
        return """
            <div class="target"><h3>Target <code>\(target.target)</code> \(rollback)</h3>
            \(target.releases.isEmpty ? "<p class=\"empty\">No releases yet.</p>" as HTML : """
            <table><tr><th></th><th>Release</th><th>Commit</th><th>State</th><th>Time</th></tr>\(rows)</table>
            """)
            </div>
            """
    }

    static func runTable(_ runs: [RunRecord]) -> HTML {
        guard !runs.isEmpty else { return "<p class=\"empty\">No runs yet.</p>" }
        let rows = runs.map { run in
            """
            <tr data-run="\(run.id)"><td>\(L.runLink(run))</td><td>\(run.pipeline)</td><td>\(L.status(run.status))</td>
            <td>\(L.commit(run.commit))</td><td>\(run.trigger.kind.rawValue) · \(run.trigger.actor)</td><td>\(L.time(run.created))</td></tr>
            """ as HTML
        }
        return "<table><tr><th>Run</th><th>Pipeline</th><th>Status</th><th>Commit</th><th>Trigger</th><th>Created</th></tr>\(rows)</table>"
    }

    /// One run: commit, stages, the buttons its status allows, and its log, live while it runs.
    static func run(_ run: RunRecord) -> HTML {
        let stages = run.stages.map { stage in
            """
            <tr data-stage="\(stage.name)"><td>\(stage.name)</td><td>\(stage.kind.rawValue)</td><td class="stage-status">\(L.status(stage.status))</td>
            <td>\(L.time(stage.started))</td><td>\(L.duration(from: stage.started, to: stage.finished))</td><td>\(stage.detail ?? "")</td></tr>
            """ as HTML
        }
        var buttons: [HTML] = []
        if run.status == .waitingApproval { buttons.append(approvalButtons(run)) }
        if !run.status.isFinal { buttons.append(L.action("Cancel", url: "/api/runs/\(run.id)/cancel", confirm: "Cancel run #\(run.id)?", kind: "danger")) }
        if [.failed, .cancelled, .interrupted].contains(run.status) { buttons.append(L.action("Retry", url: "/api/runs/\(run.id)/retry")) }
        let commit: HTML = run.commit.map { c in
            "<p class=\"meta\">Commit <code>\(c.id)</code> by \(c.author), \(L.time(c.time))</p><pre class=\"message\">\(c.message)</pre>"
        } ?? ""
        return """
            <h1>Run #\(run.id) of <a href="/pipelines/\(HTML.pathSegment(run.pipeline))">\(run.pipeline)</a>
            <span id="run-status" data-final="\(run.status.isFinal ? "true" : "false")">\(L.status(run.status))</span></h1>
            \(commit)
            <p class="meta">Triggered by \(run.trigger.kind.rawValue) · \(run.trigger.actor), \(L.time(run.created))\
            \(run.artifact.map { " · artifact <code>\(String($0.description.prefix(19)))</code>" as HTML } ?? "")\
            \(run.release.map { " · release <code>\($0)</code>" as HTML } ?? "")</p>
            <p class="actions">\(buttons)</p>
            <h2>Stages</h2><table id="stages"><tr><th>Stage</th><th>Kind</th><th>Status</th><th>Started</th><th>Took</th><th>Detail</th></tr>\(stages)</table>
            <h2>Log</h2><pre id="log" data-run="\(run.id)" data-stream="/api/runs/\(run.id)/logs/stream"></pre>
            """
    }

    static func pipelinePage(_ summary: PipelineSummary, releases: Result<[TargetReleases], any Error>, runs: [RunRecord],
                             secrets: Result<[String], any Error>? = nil) -> HTML {
        let secretSection = secrets.map { self.secrets(pipeline: summary.name, names: $0) } ?? ""
        return "\(pipeline(summary: summary, releases: releases))\(secretSection)<section id=\"runs\"><h2>Runs</h2>\(runTable(runs))</section>"
    }

    /// A pipeline's secrets by name, each with a Remove button, and a form that sets one
    /// (the script sends it as `PUT /api/secrets/NAME?pipeline=…`). Values are never shown.
    static func secrets(pipeline: String, names: Result<[String], any Error>) -> HTML {
        let query = "?pipeline=" + HTML.pathSegment(pipeline)
        let list: HTML
        switch names {
        case .success(let names) where names.isEmpty:
            list = "<p class=\"empty\">No secrets of this pipeline yet (global ones: <code>slipway secret ls</code>).</p>"
        case .success(let names):
            let rows = names.map { name in
                let remove = L.action("Remove", url: "/api/secrets/\(HTML.pathSegment(name))\(query)", confirm: "Remove the secret \(name)?",
                                      kind: "danger", method: "DELETE")
                return "<tr data-secret=\"\(name)\"><td><code>\(name)</code></td><td>\(remove)</td></tr>" as HTML
            }
            list = "<table><tr><th>Name</th><th></th></tr>\(rows)</table>"
        case .failure(let error):
            list = "<p class=\"error\">Secrets could not be listed: \(ErrorText.redactingPaths(String(describing: error)))</p>"
        }
        return """
            <section id="secrets"><h2>Secrets</h2>
            \(list)
            <form class="secret" data-secret-url="/api/secrets/" data-secret-query="\(query)" autocomplete="off">
            <label>Name <input name="name" required maxlength="120"></label>
            <label>Value <input name="value" type="password" required></label>
            <button type="submit" class="primary">Set secret</button></form>
            <p class="meta">A value is stored sealed and given to this pipeline's builds; it can be replaced or removed, never read back.</p>
            </section>
            """
    }

    static func approvalButtons(_ run: RunRecord) -> HTML {
        "\(L.action("Approve", url: "/api/runs/\(run.id)/approve", kind: "primary approve")) \(L.action("Reject", url: "/api/runs/\(run.id)/reject", confirm: "Reject run #\(run.id)?", kind: "danger reject"))"
    }

    static func login(next: String, failed: Bool) -> HTML {
        """
        <h1>Log in</h1>
        <p>Paste the API token <code>slipway serve</code> printed at its first start (a new one: <code>slipway serve --new-token</code>).</p>
        \(failed ? "<p class=\"error\">That token is not valid.</p>" as HTML : "")
        <form method="post" action="/login" class="login"><input type="hidden" name="next" value="\(next)">
        <label>Token <input type="password" name="token" autocomplete="current-password" required autofocus></label>
        <button type="submit" class="primary">Log in</button></form>
        """
    }
}
