import Foundation
import SlipwayAPI

extension DashboardPages {
    /// Every pipeline's targets with all their releases.
    static func releasesPage(pipelines: [PipelineSummary], releases: [String: Result<[TargetReleases], any Error>],
                             deployers: ReleaseDeployers) -> HTML {
        let sections = pipelines.map { summary in
            """
            <section class="pipeline" data-live="releases:\(summary.name)"><h2><a href="/pipelines/\(HTML.pathSegment(summary.name))">\(summary.name)</a></h2>
            \(targets(pipeline: summary.name, releases[summary.name], deployers: deployers))</section>
            """ as HTML
        }
        return """
            <h1>Releases</h1>
            <p class="meta">Each deploy target's releases, newest first: who deployed each, from which commit and run. \
            <strong>Roll back to this release</strong> switches a target to an earlier good release it still keeps.</p>
            \(pipelines.isEmpty ? emptyState : "")
            \(sections)
            """
    }

    static func targets(pipeline: String, _ releases: Result<[TargetReleases], any Error>?, deployers: ReleaseDeployers,
                        limit: Int? = nil) -> HTML {
        switch releases {
        case .success(let list)?:
            return "\(list.map { target(pipeline: pipeline, $0, deployers: deployers, limit: limit) })"
        case .failure(let error)?:
            return "<p class=\"error\">Releases could not be read: \(ErrorText.redactingPaths(String(describing: error)))</p>"
        case nil:
            return ""
        }
    }

    /// What the rollback route is sent: the target and the release to go to.
    private struct RollbackRequest: Encodable {
        var target: String
        var to: ReleaseID
    }

    /// One target's releases; every good release that is not the current one has its own
    /// "Roll back to this release" button, whose confirmation names both releases.
    static func target(pipeline: String, _ target: TargetReleases, deployers: ReleaseDeployers, limit: Int? = nil) -> HTML {
        let current = target.releases.first(where: \.current)
        let shown = limit.map { Array(target.releases.prefix($0)) } ?? target.releases
        let rows = shown.map { release in
            let run = deployers[release.id]
            let commit = release.commit ?? run?.commit?.id
            var action: HTML = ""
            if !release.current, release.state == .published {
                let encoder = JSONEncoder()
                encoder.outputFormatting = .sortedKeys
                let body = (try? String(decoding: encoder.encode(RollbackRequest(target: target.target, to: release.id)), as: UTF8.self)) ?? "{}"
                action = L.action("Roll back to this release", url: "/api/pipelines/\(HTML.pathSegment(pipeline))/rollback", body: body,
                                  confirm: confirmation(target: target.target, to: release, commit: commit, run: run, from: current),
                                  kind: "rollback")
            }
            let state: HTML = release.current ? "<strong>current</strong>"
                : release.state == .bad ? "<span class=\"error\">bad</span>"
                : release.state == .pruned ? "<span class=\"meta\">pruned (retention)</span>" : "kept"
            let who: HTML = run.map { L.trigger($0.trigger) } ?? "–"
            return """
                <tr data-release="\(release.id)"\(release.current ? " class=\"current\"" as HTML : "")><td><code>\(release.id)</code></td>\
                <td>\(state)</td><td><code>\(String((commit ?? "–").prefix(10)))</code></td><td>\(who)</td>\
                <td>\(L.time(release.created))\(switchedBack(release))</td><td>\(run.map { L.runLink($0) } ?? "–")</td><td class="actions">\(action)</td></tr>
                """ as HTML
        }
        let more: HTML = shown.count < target.releases.count
            ? "<p class=\"meta\"><a href=\"/releases\">All \(target.releases.count) releases</a></p>" : ""
        return """
            <div class="target" data-target="\(target.target)"><h3>Target <code>\(target.target)</code></h3>
            \(target.releases.isEmpty ? "<p class=\"empty\">No releases yet.</p>" as HTML
                : L.table(caption: "Releases of \(target.target), newest first",
                          head: ["Release", "State", "Commit", "Deployed by", "Deployed", "Run", ""], rows: rows))\(more)
            </div>
            """
    }

    /// When a rollback went back to it (its deploy is the first switch to it).
    static func switchedBack(_ release: ReleaseSummary) -> HTML {
        guard let switched = release.switched, switched.timeIntervalSince(release.created) >= 1 else { return "" }
        return "<br><span class=\"meta\">rolled back to \(L.time(switched))</span>"
    }

    /// "Roll /srv/app back to release B (commit 1234567890, deployed by cli · ada, run #3)?
    /// It replaces the current release C (commit abcdef1234)."
    static func confirmation(target: String, to release: ReleaseSummary, commit: String?, run: RunRecord?, from current: ReleaseSummary?) -> String {
        var text = "Roll \(target) back to release \(release.id.rawValue)"
        var details: [String] = []
        if let commit { details.append("commit \(commit.prefix(10))") }
        if let run { details.append("deployed by \(run.trigger.kind.rawValue) · \(run.trigger.actor) in run #\(run.id)") }
        if !details.isEmpty { text += " (\(details.joined(separator: ", ")))" }
        text += "?"
        if let current {
            text += " It replaces the current release \(current.id.rawValue)\(current.commit.map { " (commit \($0.prefix(10)))" } ?? "")."
        }
        return text
    }
}
