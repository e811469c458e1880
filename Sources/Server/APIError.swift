import Foundation
import Hummingbird
import SlipwayCore

/// An error answered as JSON: `{"error": message, "field": name}` with its status.
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

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try JSONResponse.make(ErrorBody(error: message, field: field), status: status)
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
        try APIError(status, description).response(from: request, context: context)
    }
}

extension APIError {
    /// The statuses errors classify to, with their reason phrases.
    static let knownStatuses: [HTTPResponse.Status] = [
        .badRequest, .notFound, .conflict, .unprocessableContent, .internalServerError, .serviceUnavailable,
    ]
}
