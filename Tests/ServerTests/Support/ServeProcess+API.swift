import AsyncHTTPClient
import Foundation
import SlipwayAPI
import SlipwayTestSupport

/// A `slipway serve` process driven through its HTTP API, as a client on another machine would.
extension ServeProcess {
    /// The API token the service printed (`slw_` and 64 hex digits): only a first start prints one.
    var token: String? {
        printed.range(of: "slw_[0-9a-f]{64}", options: .regularExpression).map { String(printed[$0]) }
    }

    /// `http://HOST:PORT`, as the service printed it.
    var address: String {
        printed.range(of: #"https?://(127\.0\.0\.1|\[::1\]):[0-9]+"#, options: .regularExpression).map { String(printed[$0]) }
            ?? "http://127.0.0.1:\(port)"
    }

    /// Starts a run of `pipeline` with `POST /api/pipelines/NAME/runs`: the new run's id.
    func startRun(of pipeline: String, token: String) async throws -> Int {
        var request = HTTPClientRequest(url: address + "/api/pipelines/\(pipeline)/runs")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let reply = try await LiveService.client.execute(request, timeout: .seconds(30))
        let body = try await reply.body.collect(upTo: 1 << 16)
        guard reply.status.code == 201,
              let id = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])?["run"] as? Int else {
            throw TestFailure("POST /api/pipelines/\(pipeline)/runs: \(reply.status) \(String(decoding: body.readableBytesView, as: UTF8.self))")
        }
        return id
    }

    /// Run `id`'s status once it is final (`GET /api/runs/ID`), within `timeout`.
    func finalStatus(ofRun id: Int, timeout: Duration) async throws -> String {
        try await eventually("run \(id) to end", timeout: timeout, every: .milliseconds(200)) { () async throws -> String? in
            let reply = try await LiveService.client.execute(HTTPClientRequest(url: address + "/api/runs/\(id)"), timeout: .seconds(30))
            let run = try JSONSerialization.jsonObject(with: Data(try await reply.body.collect(upTo: 1 << 20).readableBytesView)) as? [String: Any]
            let status = run?["status"] as? String
            return status.flatMap(RunStatus.init(rawValue:))?.isFinal == true ? status : nil
        }
    }
}
