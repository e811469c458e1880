import Foundation
import HTTPTypes
import Hummingbird
import SlipwayAPI

/// The dashboard's pages, its two static assets and the token login.
///
/// A pipeline's page lists its secrets by name with a form to set one (sent as the API's
/// `PUT /api/secrets/NAME`); values are never shown, not even to the person who set them.
///
/// Logging in with the token starts a session (`DashboardSessions`) whose id goes in an
/// HttpOnly, SameSite=Strict cookie: scripts cannot read it, other sites cannot send it, and
/// `TokenGate` accepts it for changes only from this origin. The token itself never stays in
/// the browser, and logging out ends the session on the server, not only in the browser.
struct DashboardRoutes {
    let control: any PipelineControl
    let secrets: (any SecretControl)?
    let token: APIToken
    let sessions: DashboardSessions
    /// The service speaks TLS: the login cookie is sent over HTTPS only.
    let secureCookie: Bool

    /// How many of a pipeline's newest runs are read to name who deployed its releases.
    static let deployerRuns = 200

    func add(read: RouterGroup<SlipwayRequestContext>, open router: Router<SlipwayRequestContext>) {
        read.get("/") { _, context in try await overview(context) }
        read.get("runs/:id") { _, context in
            let run = try await control.run(try RequestInput.runID(context))
            return DashboardLayout.page(title: "Run #\(run.id)", signedIn: context.actor != nil, DashboardPages.run(run))
        }
        read.get("pipelines/:pipeline") { _, context in
            let name = try RequestInput.pipeline(context)
            guard let summary = try await control.pipelines().first(where: { $0.name == name }) else {
                throw APIError(.notFound, "no pipeline named \(name)")
            }
            let releases = await Result(catching: { try await control.releases(pipeline: name) })
            let runs = try await control.runs(pipeline: name, limit: Self.deployerRuns, before: nil)
            var secretNames: Result<[String], any Error>?
            if let secrets { secretNames = await Result(catching: { try await secrets.secretNames(pipeline: name) }) }
            return DashboardLayout.page(title: name, signedIn: context.actor != nil, events: "/api/events?pipeline=\(HTML.pathSegment(name))",
                                        DashboardPages.pipelinePage(summary, releases: releases, deployers: ReleaseDeployers(runs),
                                                                    runs: Array(runs.prefix(50)), secrets: secretNames))
        }
        read.get("releases") { _, context in
            let (pipelines, releases, deployers) = try await releaseLists()
            return DashboardLayout.page(title: "Releases", signedIn: context.actor != nil, events: "/api/events",
                                        DashboardPages.releasesPage(pipelines: pipelines, releases: releases, deployers: deployers))
        }
        read.get("workers") { _, context in
            DashboardLayout.page(title: "Workers", signedIn: context.actor != nil, events: "/api/events",
                                 DashboardPages.workers(try await control.workers()))
        }
        read.get("audit") { request, context in
            let before = try RequestInput.integer("before", in: request, range: 1...Int64.max)
            let pipeline = request.uri.queryParameters.get("pipeline").map { String($0) }
            let entries = try await control.audit(pipeline: pipeline, limit: 100, before: before)
            return DashboardLayout.page(title: "Audit trail", signedIn: context.actor != nil,
                                        events: before == nil ? "/api/events" + (pipeline.map { "?pipeline=" + HTML.pathSegment($0) } ?? "") : nil,
                                        DashboardPages.audit(entries, next: entries.count == 100 ? entries.last?.id : nil, pipeline: pipeline))
        }
        router.get("assets/dashboard.js") { _, _ in asset(DashboardAssets.script, type: "text/javascript; charset=utf-8") }
        router.get("assets/dashboard.css") { _, _ in asset(DashboardAssets.style, type: "text/css; charset=utf-8") }
        router.get("login") { request, _ in
            DashboardLayout.page(title: "Log in", signedIn: false, DashboardPages.login(next: Self.safeNext(request.uri.queryParameters.get("next")), failed: false))
        }
        router.post("login") { request, _ in try await login(request) }
        router.post("logout") { request, _ in
            // "Log out everywhere" (`everywhere=1`) needs a live session of its own.
            var request = request
            let form = Self.form(String(buffer: try await request.collectBody(upTo: 4096)))
            if let id = request.cookies[TokenGate.cookieName]?.value {
                if form["everywhere"] == "1", sessions.accepts(id), TokenGate.isSameOrigin(request) {
                    try sessions.endAll()
                } else {
                    try sessions.end(id)
                }
            }
            var response = Response(status: .seeOther, headers: [.location: "/"])
            response.setCookie(Cookie(name: TokenGate.cookieName, value: "", maxAge: 0, path: "/", secure: secureCookie, httpOnly: true,
                                      sameSite: .strict))
            return response
        }
    }

    /// Every pipeline, its releases per target, and the runs that deployed them.
    private func releaseLists() async throws -> ([PipelineSummary], [String: Result<[TargetReleases], any Error>], ReleaseDeployers) {
        let pipelines = try await control.pipelines()
        var releases: [String: Result<[TargetReleases], any Error>] = [:]
        var deployers = ReleaseDeployers()
        for pipeline in pipelines {
            releases[pipeline.name] = await Result(catching: { try await control.releases(pipeline: pipeline.name) })
            deployers.merge(ReleaseDeployers(try await control.runs(pipeline: pipeline.name, limit: Self.deployerRuns, before: nil)))
        }
        return (pipelines, releases, deployers)
    }

    private func overview(_ context: SlipwayRequestContext) async throws -> Response {
        let (pipelines, releases, deployers) = try await releaseLists()
        let recent = try await control.runs(pipeline: nil, limit: 20, before: nil)
        return DashboardLayout.page(title: "Pipelines", signedIn: context.actor != nil, events: "/api/events",
                                    DashboardPages.overview(pipelines: pipelines, releases: releases, deployers: deployers, recent: recent))
    }

    private func login(_ request: Request) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 4096)
        let fields = Self.form(String(buffer: body))
        let next = Self.safeNext(fields["next"])
        guard let presented = fields["token"], token.accepts(presented.trimmingCharacters(in: .whitespaces)) else {
            return DashboardLayout.page(title: "Log in", signedIn: false, status: .unauthorized, DashboardPages.login(next: next, failed: true))
        }
        var response = Response(status: .seeOther, headers: [.location: next])
        // "Remember me" keeps the login 30 days instead of the browser session.
        let remember = fields["remember"] == "1"
        response.setCookie(Cookie(name: TokenGate.cookieName, value: try sessions.start(remember: remember),
                                  maxAge: remember ? Int(DashboardSessions.remembered) : nil, path: "/", secure: secureCookie,
                                  httpOnly: true, sameSite: .strict))
        return response
    }

    /// The fields of an `application/x-www-form-urlencoded` body (the first of each name).
    static func form(_ body: String) -> [String: String] {
        var form = URLComponents()
        form.percentEncodedQuery = body.replacingOccurrences(of: "+", with: " ")
        return Dictionary((form.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { first, _ in first })
    }

    /// Where to go after logging in: only a path on this service (no `//host` or scheme).
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"), next.count < 512 else { return "/" }
        return next
    }

    private func asset(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-cache", .xContentTypeOptions: "nosniff"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
