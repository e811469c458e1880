import Foundation
import Hummingbird
import SlipwayAPI
import SlipwayCore

/// Secrets over the API: set (`PUT /api/secrets/NAME`, the body is the value) and remove
/// behind the token like every change; list names (`GET /api/secrets`). No route returns a
/// value. `?pipeline=NAME` scopes each to one pipeline; without it a secret is global.
struct SecretRoutes {
    let secrets: any SecretControl
    /// What `SecretStore` accepts.
    static let maxValueBytes = 64 * 1024

    /// The same shape as `slipway secret ls --json`.
    struct Listing: Encodable {
        var scope: String
        var names: [String]
    }

    struct Changed: Encodable {
        var scope: String
        var name: String
        var removed: Bool?
    }

    func add(read: RouterGroup<SlipwayRequestContext>, change: RouterGroup<SlipwayRequestContext>) {
        read.get("secrets") { request, _ in
            let pipeline = try Self.pipeline(request)
            return try JSONResponse.make(Listing(scope: Self.scope(pipeline), names: try await secrets.secretNames(pipeline: pipeline)))
        }
        change.put("secrets/:name") { request, context in
            let (name, pipeline) = try (Self.name(context), Self.pipeline(request))
            let value = try await Self.value(request)
            try await Self.refusals {
                try await secrets.setSecret(name, value: value, pipeline: pipeline, by: context.actor ?? "api@\(context.remoteAddress)")
            }
            return try JSONResponse.make(Changed(scope: Self.scope(pipeline), name: name))
        }
        change.delete("secrets/:name") { request, context in
            let (name, pipeline) = try (Self.name(context), Self.pipeline(request))
            let removed = try await Self.refusals {
                try await secrets.removeSecret(name, pipeline: pipeline, by: context.actor ?? "api@\(context.remoteAddress)")
            }
            guard removed else { throw APIError(.notFound, "no secret '\(name)' (\(Self.scope(pipeline)))", field: "name") }
            return try JSONResponse.make(Changed(scope: Self.scope(pipeline), name: name, removed: true))
        }
    }

    static func scope(_ pipeline: String?) -> String { pipeline.map { "pipeline \($0)" } ?? "global" }

    static func name(_ context: SlipwayRequestContext) throws -> String {
        guard let name = context.parameters.get("name")?.removingPercentEncoding, !name.isEmpty else {
            throw APIError.badRequest("a secret name is required in the path (percent-encode `/` as %2F)", field: "name")
        }
        return name
    }

    static func pipeline(_ request: Request) throws -> String? {
        guard let pipeline = request.uri.queryParameters.get("pipeline") else { return nil }
        guard !pipeline.isEmpty else { throw APIError.badRequest("query parameter `pipeline` is empty", field: "pipeline") }
        return pipeline
    }

    /// The body as the value: UTF-8 text, one trailing newline dropped (as `slipway secret
    /// set` drops the one a shell's `echo` adds).
    static func value(_ request: Request) async throws -> String {
        let buffer = try await RequestInput.rawBody(request, upTo: maxValueBytes + 2, tooLarge: "a secret's value is at most \(maxValueBytes) bytes")
        guard var value = String(validating: buffer.readableBytesView, as: UTF8.self) else {
            throw APIError.badRequest("the value must be UTF-8 text", field: "body")
        }
        // "\r\n" is one Character in Swift: removeLast() drops the whole line ending.
        if value.hasSuffix("\r\n") || value.hasSuffix("\n") { value.removeLast() }
        return value
    }

    /// The store's refusals of a name or a value, with the field at fault.
    static func refusals<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as SlipwayError where error.kind == .badInput {
            throw APIError.badRequest(error.description, field: error.message.hasPrefix("secret name") ? "name" : "body")
        }
    }
}
