import AsyncHTTPClient
import Foundation
import NIOCore

/// Reads a `text/event-stream` response event by event, as EventSource does.
struct ServerSentEvent: Equatable {
    var id: String?
    var event: String
    var data: String
}

struct EventStreamClient {
    let status: Int
    let contentType: String?
    private var body: HTTPClientResponse.Body.AsyncIterator
    private var pending = ""

    init(url: String, lastEventID: String? = nil, token: String? = nil, headers: [String: String] = [:],
         client: HTTPClient = .shared) async throws {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "text/event-stream")
        if let lastEventID { request.headers.add(name: "Last-Event-ID", value: lastEventID) }
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await client.execute(request, timeout: .seconds(60))
        status = Int(response.status.code)
        contentType = response.headers.first(name: "Content-Type")
        body = response.body.makeAsyncIterator()
    }

    /// The next event (comments and `retry:` skipped); nil when the stream ended.
    mutating func next() async throws -> ServerSentEvent? {
        while true {
            if let range = pending.range(of: "\n\n") {
                let block = pending[..<range.lowerBound]
                pending.removeSubrange(..<range.upperBound)
                var event = ServerSentEvent(id: nil, event: "message", data: "")
                var hasData = false
                for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
                    if line.hasPrefix(":") { continue }
                    let (field, value) = line.firstIndex(of: ":").map {
                        (String(line[..<$0]), String(line[line.index(after: $0)...]).drop { $0 == " " })
                    } ?? (String(line), "")
                    switch field {
                    case "id": event.id = String(value)
                    case "event": event.event = String(value)
                    case "data": event.data += (hasData ? "\n" : "") + value; hasData = true
                    default: break
                    }
                }
                if hasData { return event }
                continue
            }
            guard let buffer = try await body.next() else { return nil }
            pending += String(buffer: buffer)
        }
    }
}
