import Foundation
import SlipwayAPI

/// The dashboard's pages as HTML fragments (the frame is `DashboardLayout.page`). Parts marked
/// `data-live` are swapped in place when the page's event stream says something changed.
enum DashboardPages {
    typealias L = DashboardLayout

    /// How many releases per target the overview shows (the releases page shows them all).
    static let overviewReleases = 5

    /// Pipelines with their latest run, waiting approvals, releases per target, recent runs;
    /// with no pipeline yet, the two commands that add one.
    static func overview(pipelines: [PipelineSummary], releases: [String: Result<[TargetReleases], any Error>],
                         deployers: ReleaseDeployers, recent: [RunRecord]) -> HTML {
        let cards = pipelines.map { pipeline(summary: $0, releases: releases[$0.name], deployers: deployers, limit: overviewReleases) }
        return """
            <h1>Pipelines</h1>
            \(approvals(recent.filter { $0.status == .waitingApproval }))
            \(pipelines.isEmpty ? emptyState : "")
            \(cards)
            <section id="runs" data-live="runs"><h2>Recent runs</h2>\(runTable(recent, caption: "Recent runs, newest first"))</section>
            """
    }

    /// Always present (hidden when empty), so an approval that appears has a place to go.
    static func approvals(_ waiting: [RunRecord]) -> HTML {
        let rows = waiting.map { run in
            "<tr data-run=\"\(run.id)\"><td>\(L.runLink(run))</td><td>\(run.pipeline)</td><td>\(L.commit(run.commit))</td><td class=\"actions\">\(approvalButtons(run))</td></tr>" as HTML
        }
        return """
            <section id="approvals" data-live="approvals"\(waiting.isEmpty ? " hidden" : "")><h2>Waiting for approval</h2>\
            \(L.table(caption: "Runs waiting for approval", head: ["Run", "Pipeline", "Commit", "Decision"], rows: rows))</section>
            """
    }

    static let emptyState: HTML = """
        <section id="empty" class="empty-state" data-live="empty"><h2>No pipelines yet</h2>
        <p>A pipeline is registered by its first run. In a repository with a <code>slipway.yml</code> (or a <code>buildspec.yml</code> and an <code>appspec.yml</code>):</p>
        <pre class="commands"><code>slipway image build images/busybox      # once: the default build image
        slipway run ~/src/app --target /srv/app  # registers the pipeline and runs it</code></pre>
        <p>Then <code>slipway hook install /srv/git/app.git</code> starts a run on every push, and it shows up here as it happens.</p>
        </section>
        """

    static func pipeline(summary: PipelineSummary, releases: Result<[TargetReleases], any Error>?, deployers: ReleaseDeployers,
                         limit: Int? = nil) -> HTML {
        let name = HTML.pathSegment(summary.name)
        let latest: HTML = summary.latest.map { run in
            "Latest run \(L.runLink(run)) \(L.status(run.status)) \(L.commit(run.commit))" as HTML
        } ?? "No runs yet."
        return """
            <section class="pipeline" data-pipeline="\(summary.name)" data-live="pipeline:\(summary.name)">\
            <h2><a href="/pipelines/\(name)">\(summary.name)</a></h2>
            <p class="meta"><code>\(summary.repository)</code> branch <code>\(summary.branch)</code></p>
            <p class="latest">\(latest) \(L.action("Run pipeline", url: "/api/pipelines/\(name)/runs", kind: "primary run"))</p>
            \(targets(pipeline: summary.name, releases, deployers: deployers, limit: limit))
            </section>
            """
    }

    static func runTable(_ runs: [RunRecord], caption: String) -> HTML {
        guard !runs.isEmpty else { return "<p class=\"empty\">No runs yet.</p>" }
        let rows = runs.map { run in
            """
            <tr data-run="\(run.id)"><td>\(L.runLink(run))</td><td>\(run.pipeline)</td><td>\(L.status(run.status))</td>
            <td>\(L.commit(run.commit))</td><td>\(L.trigger(run.trigger))</td><td>\(L.time(run.created))</td></tr>
            """ as HTML
        }
        return L.table(caption: caption, head: ["Run", "Pipeline", "Status", "Commit", "Trigger", "Created"], rows: rows)
    }

    static func pipelinePage(_ summary: PipelineSummary, releases: Result<[TargetReleases], any Error>, deployers: ReleaseDeployers,
                             runs: [RunRecord], secrets: Result<[String], any Error>? = nil) -> HTML {
        let secretSection = secrets.map { self.secrets(pipeline: summary.name, names: $0) } ?? ""
        return """
            \(approvals(runs.filter { $0.status == .waitingApproval }))
            \(pipeline(summary: summary, releases: releases, deployers: deployers))\(secretSection)
            <section id="runs" data-live="runs"><h2>Runs</h2>\(runTable(runs, caption: "Runs of \(summary.name), newest first"))</section>
            """
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
            list = L.table(caption: "Secrets of \(pipeline)", head: ["Name", ""], rows: rows)
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
        <label class="check"><input type="checkbox" name="remember" value="1"> Remember me on this browser for 30 days</label>
        <button type="submit" class="primary">Log in</button></form>
        """
    }
}
