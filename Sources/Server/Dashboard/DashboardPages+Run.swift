import Foundation
import SlipwayAPI

extension DashboardPages {
    /// One run: its commit (or that it is still being resolved), stages, the buttons its status
    /// allows, and its log viewer, all current while it runs (`data-live` parts follow the log
    /// stream's `run` events).
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
        let commit: HTML
        switch run.commit {
        case let c? where L.isResolved(c):
            commit = "<p class=\"meta\" id=\"run-commit\">Commit <code>\(c.id)</code> by <span class=\"author\">\(c.author)</span>, \(L.time(c.time))</p><pre class=\"message\">\(c.message)</pre>"
        case let c?:
            commit = "<p class=\"meta\" id=\"run-commit\">Commit <code>\(c.id)</code>: reading it from the repository…</p>"
        case nil:
            commit = "<p class=\"meta\" id=\"run-commit\">Finding the branch's newest commit…</p>"
        }
        let failed = run.stages.filter { $0.status == .failed }.map(\.name)
        let failedJSON = (try? String(decoding: JSONEncoder().encode(failed), as: UTF8.self)) ?? "[]"
        let waiting: HTML = run.status == .waitingApproval
            ? "<p class=\"waiting\" role=\"status\">This run waits for a decision before it deploys.</p>" : ""
        return """
            <div id="run-head" data-live="run-head">
            <h1>Run #\(run.id) of <a href="/pipelines/\(HTML.pathSegment(run.pipeline))">\(run.pipeline)</a>
            <span id="run-status" data-final="\(run.status.isFinal ? "true" : "false")" data-failed-stages="\(failedJSON)">\(L.status(run.status))</span></h1>
            \(commit)
            <p class="meta">Triggered by \(L.trigger(run.trigger)), \(L.time(run.created))\
            \(run.started.map { " · started \(L.time($0))" as HTML } ?? "")\
            \(run.finished.map { " · took \(L.duration(from: run.started ?? run.created, to: $0))" as HTML } ?? "")\
            \(run.artifact.map { " · artifact <code>\(String($0.description.prefix(19)))</code>" as HTML } ?? "")\
            \(run.release.map { " · release <code>\($0)</code>" as HTML } ?? "")</p>
            \(buildFacts(run))\(waiting)<p class="actions" id="run-actions">\(buttons)</p>
            </div>
            <section id="stages-section" data-live="stages"><h2>Stages</h2>\
            \(L.table(caption: "Stages of run #\(run.id)", id: "stages", head: ["Stage", "Kind", "Status", "Started", "Took", "Detail"], rows: stages))</section>
            \(log(run))
            """
    }

    /// The image the build ran on and, where the pipeline checks reproducibility, the verdict
    /// with what differed.
    static func buildFacts(_ run: RunRecord) -> HTML {
        guard let facts = run.stages.first(where: { $0.kind == .build })?.build else { return "" }
        let image: HTML = "<p class=\"meta\" id=\"run-image\">Built on image <code>\(facts.image)</code>\(facts.imageDigest.map { " (<code>\($0.description)</code>)" as HTML } ?? "")</p>"
        guard let check = facts.check else { return image }
        if check.reproducible {
            return "\(image)<p class=\"check ok\" id=\"run-check\">Reproducible: a second build (<code>\(check.secondBuild)</code>) from another checkout, on one CPU, gave the same artifacts.</p>"
        }
        let more: HTML = check.differenceCount > check.differences.count ? "<li>… and \(check.differenceCount - check.differences.count) more (the log lists them)</li>" : ""
        return """
            \(image)<div class="check error" id="run-check"><p>Not reproducible: the second build (<code>\(check.secondBuild)</code>) differs in \(check.differenceCount) place(s):</p>
            <ul>\(check.differences.map { "<li><code>\($0)</code></li>" as HTML })\(more)</ul></div>
            """
    }

    /// The log viewer: the script pages the log in by byte range (`logs/range`), then follows
    /// the live stream, and renders only the lines in view.
    static func log(_ run: RunRecord) -> HTML {
        """
        <section id="log-section" aria-labelledby="log-title"><h2 id="log-title">Log</h2>
        <div class="log-tools" role="toolbar" aria-label="Log">
        <label class="search">Search <input type="search" id="log-search" autocomplete="off" spellcheck="false"></label>
        <button type="button" id="log-prev" aria-label="Previous match">↑</button><button type="button" id="log-next" aria-label="Next match">↓</button>
        <span id="log-matches" class="meta" aria-live="polite"></span>
        <label class="check"><input type="checkbox" id="log-follow"> Follow</label>
        <a href="/api/runs/\(run.id)/logs/text" download="slipway-run-\(run.id).log" id="log-download">Download</a>
        <span id="log-count" class="meta"></span></div>
        <div id="log" class="log" tabindex="0" role="region" aria-label="Log lines" data-run="\(run.id)" data-state="loading" \
        data-range="/api/runs/\(run.id)/logs/range" data-stream="/api/runs/\(run.id)/logs/stream">\
        <div class="log-spacer"><div class="log-rows"></div></div></div>
        <p id="log-live" class="visually-hidden" role="log" aria-live="polite"></p>
        </section>
        """
    }
}
