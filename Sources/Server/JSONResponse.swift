import Foundation
import Hummingbird
import SlipwayCore

/// JSON bodies in Slipway's record format (sorted keys, ISO 8601 times with milliseconds), so
/// the API shows exactly what `--json` on the CLI shows.
enum JSONResponse {
    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try Timestamp.encoder(pretty: false).encode(value)
        var buffer = ByteBuffer()
        buffer.writeBytes(data)
        return make(buffer, status: status)
    }

    /// A body that is JSON already.
    static func make(_ buffer: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status,
                 headers: [.contentType: "application/json; charset=utf-8", .contentLength: String(buffer.readableBytes)],
                 body: .init(byteBuffer: buffer))
    }
}
