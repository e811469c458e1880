import Foundation
import Hummingbird
import SlipwayAPI
import SlipwayCore

/// The frame every dashboard page shares and the small formatting helpers the pages use.
enum DashboardLayout {
    /// Scripts and styles only from the service itself, never inline: even markup that slipped
    /// through escaping could not run.
    static let contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        + "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"

    /// A whole page. `events` is the page's one server-sent event stream (`/api/events…`), whose
    /// changes make the script fetch the page again and swap in its `data-live` parts.
    static func page(title: String, signedIn: Bool, status: HTTPResponse.Status = .ok, events: String? = nil, _ body: HTML) -> Response {
        let account: HTML = signedIn
            ? #"<form method="post" action="/logout"><button type="submit" class="link">Log out</button></form><form method="post" action="/logout"><input type="hidden" name="everywhere" value="1"><button type="submit" class="link" title="End every login of this dashboard, on every browser">Log out everywhere</button></form>"#
            : #"<a href="/login">Log in</a>"#
        let stream: HTML = events.map { " data-events=\"\($0)\"" } ?? ""
        let html: HTML = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) · Slipway</title><link rel="stylesheet" href="/assets/dashboard.css">
            <script src="/assets/dashboard.js" defer></script></head>
            <body><a class="skip" href="#main">Skip to content</a>
            <header><a href="/" class="brand">Slipway</a><nav aria-label="Main"><a href="/">Pipelines</a><a href="/releases">Releases</a>\
            <a href="/workers">Workers</a><a href="/audit">Audit</a>\(account)</nav></header>
            <main id="main"\(stream)>\(body)</main><p id="notice" role="status" hidden></p></body></html>
            """
        return Response(status: status,
                        headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                                  .contentSecurityPolicy: contentSecurityPolicy, .xContentTypeOptions: "nosniff"],
                        body: .init(byteBuffer: ByteBuffer(string: html.markup)))
    }

    /// A table with a caption (read out first by screen readers; `hidden` keeps it for them
    /// only), a head row and rows; on a narrow screen each row becomes a wrapped block.
    static func table(caption: String, visibleCaption: Bool = false, id: String? = nil, live: String? = nil,
                      head: [String], rows: [HTML]) -> HTML {
        let attributes: HTML = "\(id.map { " id=\"\($0)\"" as HTML } ?? "")\(live.map { " data-live=\"\($0)\"" as HTML } ?? "")"
        let cells = head.map { "<th scope=\"col\">\($0)</th>" as HTML }
        return """
            <table\(attributes)><caption\(visibleCaption ? "" : " class=\"visually-hidden\"" as HTML)>\(caption)</caption>
            <thead><tr>\(cells)</tr></thead><tbody>\(rows)</tbody></table>
            """
    }

    static func status(_ status: RunStatus) -> HTML { "<span class=\"status \(status.rawValue)\">\(status.rawValue.replacingOccurrences(of: "_", with: " "))</span>" }

    static func status(_ status: StageStatus) -> HTML { "<span class=\"status \(status.rawValue)\">\(status.rawValue.replacingOccurrences(of: "_", with: " "))</span>" }

    static func time(_ date: Date?) -> HTML {
        guard let date, date.timeIntervalSince1970 > 0 else { return "–" }
        let stamp = Timestamp.format(date)
        return "<time datetime=\"\(stamp)\">\(String(stamp.prefix(19)).replacingOccurrences(of: "T", with: " "))</time>"
    }

    static func duration(from start: Date?, to end: Date?) -> String {
        guard let start, let end else { return "–" }
        let seconds = end.timeIntervalSince(start)
        return seconds < 10 ? String(format: "%.2f s", seconds) : String(format: "%.0f s", seconds)
    }

    static func runLink(_ run: RunRecord) -> HTML { "<a href=\"/runs/\(run.id)\">#\(run.id)</a>" }

    /// The commit as a short id and the first line of its message.
    static func commit(_ commit: CommitInfo?) -> HTML {
        guard let commit else { return "–" }
        guard isResolved(commit) else { return "<code>\(String(commit.id.prefix(10)))</code> <span class=\"meta\">resolving…</span>" }
        let subject = commit.message.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
        return "<code>\(String(commit.id.prefix(10)))</code> \(subject)"
    }

    /// A run queued for a commit id records the commit before its source stage has read the
    /// author, time and message from git.
    static func isResolved(_ commit: CommitInfo) -> Bool { !commit.author.isEmpty || commit.time.timeIntervalSince1970 > 0 }

    /// Who or what started a run: `cli · ada`.
    static func trigger(_ trigger: Trigger) -> HTML { "\(trigger.kind.rawValue) · \(trigger.actor)" }

    /// A button the script turns into an authenticated request (POST unless `method` says
    /// otherwise) to `url` with a JSON `body`.
    static func action(_ label: String, url: String, body: String = "{}", confirm: String? = nil, kind: String = "",
                       method: String? = nil) -> HTML {
        let prompt: HTML = confirm.map { " data-confirm=\"\($0)\"" } ?? ""
        let verb: HTML = method.map { " data-method=\"\($0)\"" } ?? ""
        return "<button type=\"button\" class=\"\(kind)\" data-post=\"\(url)\" data-body=\"\(body)\"\(prompt)\(verb)>\(label)</button>"
    }
}
