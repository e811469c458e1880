import Foundation
import SlipwayAPI

extension DashboardPages {
    /// The audit trail, newest first, a page at a time: who triggered, approved, rejected,
    /// cancelled, retried, rolled back, removed or set a secret.
    static func audit(_ entries: [AuditEntry], next: Int64?, pipeline: String?) -> HTML {
        let rows = entries.map { entry in
            """
            <tr data-audit="\(entry.id ?? 0)"><td>\(L.time(entry.time))</td><td>\(entry.actor)</td><td>\(entry.action.rawValue)</td>\
            <td>\(entry.pipeline.map { "<a href=\"/pipelines/\(HTML.pathSegment($0))\">\($0)</a>" as HTML } ?? "–")</td>\
            <td>\(entry.run.map { "<a href=\"/runs/\($0)\">#\($0)</a>" as HTML } ?? "–")</td><td>\(entry.detail ?? "")</td></tr>
            """ as HTML
        }
        let filter = pipeline.map { "&pipeline=" + HTML.pathSegment($0) } ?? ""
        let older: HTML = next.map { "<p><a href=\"/audit?before=\($0)\(filter)\" rel=\"next\">Older entries</a></p>" } ?? ""
        return """
            <h1>Audit trail\(pipeline.map { " of \($0)" as HTML } ?? "")</h1>
            <section id="audit" data-live="audit">
            \(entries.isEmpty ? "<p class=\"empty\">Nothing recorded yet.</p>" as HTML
                : L.table(caption: "Audit trail, newest first", head: ["Time", "Who", "Action", "Pipeline", "Run", "Detail"], rows: rows))
            \(older)</section>
            """
    }
}
