import Hummingbird

/// Answers every error as JSON and counts every request by method, route pattern (never the
/// raw path, so ids do not multiply the series) and status.
struct RequestAccounting: RouterMiddleware {
    let metrics: ServiceMetrics

    func handle(_ request: Request, context: SlipwayRequestContext,
                next: (Request, SlipwayRequestContext) async throws -> Response) async throws -> Response {
        let response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        } catch {
            context.logger.error("\(request.method) \(request.uri.path): \(error)")
            response = try APIError(.internalServerError, "\(error)").response(from: request, context: context)
        }
        metrics.countRequest(method: request.method.rawValue, route: context.endpointPath ?? "unmatched",
                             status: response.status.code)
        return response
    }
}
