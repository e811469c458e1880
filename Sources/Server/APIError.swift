import Foundation
import Hummingbird
import SlipwayCore

/// An error answered with its status: `{"error": message, "field": name}` for API clients, a
/// page for a browser (a request that accepts `text/html`). No answer names a file on the
/// server: paths in the text are cut to their last component (`ErrorText`).
struct APIError: HTTPResponseError {
    var status: HTTPResponse.Status
    var message: String
    /// The request field (query parameter, path parameter, body key or header) at fault.
    var field: String?

    init(_ status: HTTPResponse.Status, _ message: String, field: String? = nil) {
        self.status = status
        self.message = message
        self.field = field
    }

    static func badRequest(_ message: String, field: String) -> APIError {
        APIError(.badRequest, message, field: field)
    }

    static let unauthorized = APIError(
        .unauthorized, "a valid API token is required: send `Authorization: Bearer TOKEN` (see `slipway serve --new-token`)")

    static let routeNotFound = APIError(.notFound, "there is nothing at this address: the API is under /api, the dashboard at /")

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let text = ErrorText.redactingPaths(message)
        var response: Response
        if ErrorText.prefersHTML(request) {
            response = ErrorPage.make(status: status, message: text, signedIn: request.cookies[TokenGate.cookieName] != nil)
        } else {
            response = try JSONResponse.make(ErrorBody(error: text, field: field), status: status)
        }
        if status == .unauthorized {
            response.headers[.wwwAuthenticate] = "Bearer realm=\"slipway\""
        }
        return response
    }

    private struct ErrorBody: Encodable {
        var error: String
        var field: String?
    }
}

/// Domain errors answer with their whole chain as the message; their own `httpStatus` picks
/// the status (SlipwayCore's classification), so this layer needs no switch over error types:
/// a request the current state refuses (approving a finished run, a duplicate commit) is 409,
/// a failure of the machine (disk, database, a system call) 500 or 503.
extension SlipwayError: HTTPResponseError {
    public var status: HTTPResponse.Status {
        APIError.knownStatuses.first { $0.code == httpStatus } ?? HTTPResponse.Status(code: httpStatus)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        if httpStatus >= 500 {
            context.logger.error("\(request.method) \(request.uri.path): \(description)")
        }
        return try APIError(status, description).response(from: request, context: context)
    }
}

extension APIError {
    /// The statuses errors classify to, with their reason phrases.
    static let knownStatuses: [HTTPResponse.Status] = [
        .badRequest, .notFound, .conflict, .unprocessableContent, .internalServerError, .serviceUnavailable,
    ]
}
