import Foundation
import HTTPTypes
import Hummingbird

/// Lets a request through only with the API token: `Authorization: Bearer TOKEN`, or the
/// dashboard's login cookie (a session started with the token, `DashboardSessions`). The cookie is HttpOnly and SameSite=Strict, and a change made
/// with it must also come from the service's own origin (`Origin` matching `Host`,
/// `Sec-Fetch-Site: same-origin` where the browser sends it), so another site cannot ride it.
/// A bearer header is never added by a browser on its own, so it needs no such check.
struct TokenGate: RouterMiddleware {
    static let cookieName = "slipway_token"

    enum Scope { case read, change }

    let token: APIToken
    let sessions: DashboardSessions
    let scope: Scope
    let readAccess: ReadAccess
    /// The service listens on loopback only: open reads must also name a loopback host, or a
    /// web page whose DNS name was rebound to 127.0.0.1 could read the API from a browser.
    let loopbackOnly: Bool

    func handle(_ request: Request, context: SlipwayRequestContext,
                next: (Request, SlipwayRequestContext) async throws -> Response) async throws -> Response {
        var context = context
        if let actor = authenticate(request, context: context) {
            context.actor = actor
        } else if scope == .read && readAccess == .open {
            if loopbackOnly, let authority = request.head.authority, !Self.isLoopbackHost(authority) {
                throw APIError(.misdirectedRequest, "Host \(authority) is not this machine's loopback address", field: "Host")
            }
        } else {
            // A person opening a dashboard page is sent to the login form instead.
            if scope == .read, request.method == .get || request.method == .head, ErrorText.prefersHTML(request) {
                let next = request.uri.path.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? "/"
                return Response(status: .seeOther, headers: [.location: "/login?next=\(next)"])
            }
            throw APIError.unauthorized
        }
        return try await next(request, context)
    }

    private func authenticate(_ request: Request, context: SlipwayRequestContext) -> String? {
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer", token.accepts(String(parts[1])) else { return nil }
            return "api@\(context.remoteAddress)"
        }
        guard let cookie = request.cookies[Self.cookieName]?.value, sessions.accepts(cookie) else { return nil }
        guard scope == .read || Self.isSameOrigin(request) else { return nil }
        return "dashboard@\(context.remoteAddress)"
    }

    /// A `Host` value naming this machine's loopback: `HOST` or `HOST:PORT`, where HOST is
    /// `localhost`, an IPv4 literal in 127.0.0.0/8 or `[::1]`; nothing may follow.
    static func isLoopbackHost(_ authority: String) -> Bool {
        let host: Substring, rest: Substring
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return false }
            host = authority[authority.index(after: authority.startIndex)..<close]
            rest = authority[authority.index(after: close)...]
            guard host.contains(":") else { return false }  // brackets hold IPv6 only
        } else {
            let colon = authority.firstIndex(of: ":") ?? authority.endIndex
            host = authority[..<colon]
            rest = authority[colon...]
            guard !host.contains(":") else { return false }
        }
        if !rest.isEmpty {
            let port = rest.dropFirst()
            guard rest.first == ":", (1...5).contains(port.count), port.allSatisfy(\.isASCII), let n = Int(port), n <= 65535 else { return false }
        }
        return ListenAddress.isLoopback(host: String(host))
    }

    static func isSameOrigin(_ request: Request) -> Bool {
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], site != "same-origin" { return false }
        guard let origin = request.headers[.origin] else { return true }
        guard let host = request.head.authority else { return false }
        return origin == "http://\(host)" || origin == "https://\(host)"
    }
}
