import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Delivers webhooks with retries: a connection error, a timeout, 429 or a 5xx is tried again
/// after a growing pause (1 s, 2 s, 4 s, … by default); any other answer is final.
public struct Notifier: Sendable {
    public struct Policy: Sendable {
        public var attempts = 5
        public var firstPause: Duration = .seconds(1)
        public var timeout: TimeAmount = .seconds(10)
        public init() {}
    }

    /// How a delivery ended.
    public struct Outcome: Sendable, Equatable, CustomStringConvertible {
        public var delivered: Bool
        public var attempts: Int
        /// The last HTTP status, if any answer came.
        public var status: Int?
        public var error: String?

        public var description: String {
            let tries = attempts == 1 ? "1 attempt" : "\(attempts) attempts"
            if delivered { return "delivered (\(status.map(String.init) ?? "?"), \(tries))" }
            return "not delivered after \(tries): " + (error ?? status.map { "status \($0)" } ?? "no answer")
        }
    }

    let client: HTTPClient
    let policy: Policy

    public init(client: HTTPClient = .shared, policy: Policy = Policy()) {
        self.client = client
        self.policy = policy
    }

    public func deliver(_ delivery: WebhookDelivery) async -> Outcome {
        var pause = policy.firstPause
        var outcome = Outcome(delivered: false, attempts: 0)
        for attempt in 1...max(1, policy.attempts) {
            outcome.attempts = attempt
            do {
                var request = HTTPClientRequest(url: delivery.url)
                request.method = .POST
                for (name, value) in delivery.headers { request.headers.add(name: name, value: value) }
                request.body = .bytes(ByteBuffer(bytes: delivery.body))
                let response = try await client.execute(request, timeout: policy.timeout)
                _ = try? await response.body.collect(upTo: 64 * 1024)
                let code = Int(response.status.code)
                outcome.status = code
                outcome.error = nil
                if (200..<300).contains(code) {
                    outcome.delivered = true
                    return outcome
                }
                guard code == 429 || code >= 500 else { return outcome }
            } catch {
                outcome.error = "\(error)"
            }
            guard attempt < policy.attempts else { break }
            try? await Task.sleep(for: pause)
            pause *= 2
        }
        return outcome
    }
}
