import Hummingbird

/// Answers every error in Slipway's form (JSON for API clients, a page for browsers, no
/// server paths in either), gives HEAD requests the GET answer's status and headers without
/// its body, and counts every request by method, route pattern (never the raw path, so ids
/// do not multiply the series) and status.
struct RequestAccounting: RouterMiddleware {
    let metrics: ServiceMetrics

    func handle(_ request: Request, context: SlipwayRequestContext,
                next: (Request, SlipwayRequestContext) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError {
            // The router's own errors: no route (404), a body it could not read.
            let message = error.body ?? (error.status == .notFound ? APIError.routeNotFound.message : error.status.reasonPhrase)
            response = try APIError(error.status, message).response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        } catch {
            context.logger.error("\(request.method) \(request.uri.path): \(error)")
            response = try APIError(.internalServerError, "\(error)").response(from: request, context: context)
        }
        if request.method == .head {
            // The body is not sent (a log stream's would never end); Content-Length stays.
            response = Response(status: response.status, headers: response.headers, body: .init())
        }
        metrics.countRequest(method: request.method.rawValue, route: context.endpointPath ?? "unmatched",
                             status: response.status.code)
        return response
    }
}
