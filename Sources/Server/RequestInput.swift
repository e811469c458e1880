import Foundation
import Hummingbird
import SlipwayAPI
import SlipwayCore

/// Reading untrusted request parts with errors that name the field at fault.
enum RequestInput {
    /// A run id from the path.
    static func runID(_ context: SlipwayRequestContext) throws -> RunID {
        let text = context.parameters.get("id") ?? ""
        guard let id = RunID(text) else {
            throw APIError.badRequest("run id `\(text.prefix(40))` is not a positive integer", field: "id")
        }
        return id
    }

    /// A pipeline name from the path (percent-decoded: links encode it).
    static func pipeline(_ context: SlipwayRequestContext) throws -> String {
        guard let name = context.parameters.get("pipeline")?.removingPercentEncoding, !name.isEmpty else {
            throw APIError.badRequest("a pipeline name is required", field: "pipeline")
        }
        return name
    }

    /// An optional integer query parameter within `range`.
    static func integer(_ name: String, in request: Request, range: ClosedRange<Int64>) throws -> Int64? {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        guard let value = Int64(text), range.contains(value) else {
            throw APIError.badRequest("query parameter `\(name)` must be an integer from \(range.lowerBound) to \(range.upperBound)",
                                      field: name)
        }
        return value
    }

    /// A JSON body of at most `maxSize` bytes; an empty body decodes as `{}` so every field
    /// of an action can be optional.
    static func body<T: Decodable>(_ type: T.Type, from request: Request, maxSize: Int) async throws -> T {
        let buffer = try await rawBody(request, upTo: maxSize, tooLarge: "the request body is larger than \(maxSize) bytes")
        let data = buffer.readableBytes == 0 ? Data("{}".utf8) : Data(buffer.readableBytesView)
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let DecodingError.typeMismatch(expected, context) {
            let field = keyPath(context.codingPath)
            throw APIError.badRequest("field `\(field)` must be \(describe(expected))", field: field)
        } catch let DecodingError.valueNotFound(expected, context) {
            let field = keyPath(context.codingPath)
            throw APIError.badRequest("field `\(field)` must be \(describe(expected)), not null", field: field)
        } catch let DecodingError.keyNotFound(key, context) {
            let field = keyPath(context.codingPath + [key])
            throw APIError.badRequest("field `\(field)` is required", field: field)
        } catch {
            throw APIError.badRequest("the request body is not a JSON object", field: "body")
        }
    }

    /// The whole body as sent, at most `maxSize` bytes; a larger one is refused (413) with
    /// `tooLarge` as the message.
    static func rawBody(_ request: Request, upTo maxSize: Int, tooLarge: @autoclosure () -> String) async throws -> ByteBuffer {
        var request = request
        do {
            return try await request.collectBody(upTo: maxSize)
        } catch {
            throw APIError(.contentTooLarge, tooLarge(), field: "body")
        }
    }

    private static func keyPath(_ path: [any CodingKey]) -> String {
        path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Int64.Type: "an integer"
        default: "a \(type)"
        }
    }
}
