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

    static func page(title: String, signedIn: Bool, status: HTTPResponse.Status = .ok, _ body: HTML) -> Response {
        let account: HTML = signedIn
            ? #"<form method="post" action="/logout"><button type="submit" class="link">Log out</button></form>"#
            : #"<a href="/login">Log in</a>"#
        let html: HTML = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) · Slipway</title><link rel="stylesheet" href="/assets/dashboard.css">
            <script src="/assets/dashboard.js" defer></script></head>
            <body><header><a href="/" class="brand">Slipway</a><nav><a href="/">Pipelines</a> \(account)</nav></header>
            <main>\(body)</main><p id="notice" role="status" hidden></p></body></html>
            """
        return Response(status: status,
                        headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                                  .contentSecurityPolicy: contentSecurityPolicy, .xContentTypeOptions: "nosniff"],
                        body: .init(byteBuffer: ByteBuffer(string: html.markup)))
    }

    static func status(_ status: RunStatus) -> HTML { "<span class=\"status \(status.rawValue)\">\(status.rawValue.replacingOccurrences(of: "_", with: " "))</span>" }

    static func status(_ status: StageStatus) -> HTML { "<span class=\"status \(status.rawValue)\">\(status.rawValue.replacingOccurrences(of: "_", with: " "))</span>" }

    static func time(_ date: Date?) -> HTML {
        guard let date else { return "–" }
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
        let subject = commit.message.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
        return "<code>\(String(commit.id.prefix(10)))</code> \(subject)"
    }

    /// A button the script turns into an authenticated request (POST unless `method` says
    /// otherwise) to `url` with a JSON `body`.
    static func action(_ label: String, url: String, body: String = "{}", confirm: String? = nil, kind: String = "",
                       method: String? = nil) -> HTML {
        let prompt: HTML = confirm.map { " data-confirm=\"\($0)\"" } ?? ""
        let verb: HTML = method.map { " data-method=\"\($0)\"" } ?? ""
        return "<button type=\"button\" class=\"\(kind)\" data-post=\"\(url)\" data-body=\"\(body)\"\(prompt)\(verb)>\(label)</button>"
    }
}
