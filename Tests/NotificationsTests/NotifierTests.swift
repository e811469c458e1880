import Crypto
import Foundation
import Hummingbird
import SlipwayTestSupport
import Specs
import Synchronization
import Testing
@testable import Notifications

/// Deliveries against a real HTTP receiver on loopback.
@Suite(.tags(.medium)) struct NotifierTests {
    /// Records every request; answers 503 to the first `failFirst` of them.
    final class Receiver: Sendable {
        struct Received: Sendable { var headers: [String: String]; var body: Data }
        let received = Mutex<[Received]>([])
        let failFirst: Int

        init(failFirst: Int = 0) { self.failFirst = failFirst }

        func run<T: Sendable>(_ body: @Sendable (_ url: String) async throws -> T) async throws -> T {
            let router = Router()
            router.post("/hook") { request, _ -> Response in
                let bytes = try await request.body.collect(upTo: 1 << 20)
                var headers: [String: String] = [:]
                for field in request.headers { headers[field.name.canonicalName] = field.value }
                let count = self.received.withLock { list in
                    list.append(Received(headers: headers, body: Data(buffer: bytes)))
                    return list.count
                }
                return Response(status: count <= self.failFirst ? .serviceUnavailable : .noContent)
            }
            let port = Mutex<Int?>(nil)
            let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                                  onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port } })
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask { try await app.runService(); return nil }
                while port.withLock({ $0 == nil }) { try await Task.sleep(for: .milliseconds(10)) }
                let result = try await body("http://127.0.0.1:\(port.withLock { $0! })/hook")
                group.cancelAll()
                return result
            }
        }
    }

    static let notice = RunNotice(event: .failed, pipeline: "shop", run: 12, status: "failed", commit: "abc1234def",
                                  author: "Ada", message: "Fix the cart", detail: "build failed",
                                  time: Date(timeIntervalSince1970: 1_700_000_000))

    var fast: Notifier.Policy {
        var p = Notifier.Policy()
        p.firstPause = .milliseconds(20)
        p.timeout = .seconds(5)
        return p
    }

    @Test func signedJSONIsRetriedUntilTheReceiverTakesIt() async throws {
        let receiver = Receiver(failFirst: 2)
        let outcome = try await receiver.run { url in
            await Notifier(policy: fast).deliver(try WebhookDelivery(Self.notice, to: url, format: .json, signingKey: "k3y"))
        }
        #expect(outcome.delivered && outcome.attempts == 3 && outcome.status == 204, "\(outcome)")
        let all = receiver.received.withLock { $0 }
        #expect(all.count == 3)
        // One delivery id across its attempts.
        #expect(Set(all.map { $0.headers["x-slipway-delivery"] ?? "" }).count == 1)
        let last = try #require(all.last)
        #expect(last.headers["x-slipway-event"] == "run.failed")
        let mac = HMAC<SHA256>.authenticationCode(for: last.body, using: SymmetricKey(data: Data("k3y".utf8)))
        #expect(last.headers["x-slipway-signature-256"] == "sha256=" + mac.map { String(format: "%02x", $0) }.joined())
        let json = try #require(try JSONSerialization.jsonObject(with: last.body) as? [String: Any])
        #expect(json["pipeline"] as? String == "shop" && json["run"] as? Int == 12 && json["event"] as? String == "failed")
        #expect(json["time"] as? String == "2023-11-14T22:13:20Z")
    }

    @Test func slackFormatIsOneLineOfText() async throws {
        let receiver = Receiver()
        let outcome = try await receiver.run { url in
            await Notifier(policy: fast).deliver(try WebhookDelivery(Self.notice, to: url, format: .slack, signingKey: nil))
        }
        #expect(outcome.delivered)
        let body = try #require(receiver.received.withLock { $0.first?.body })
        let json = try #require(try JSONSerialization.jsonObject(with: body) as? [String: String])
        #expect(json == ["text": "shop run 12 failed (abc1234 by Ada): build failed"])
    }

    @Test func aReceiverThatKeepsFailingIsReportedAfterTheLastAttempt() async throws {
        var three = fast
        three.attempts = 3
        let policy = three
        let receiver = Receiver(failFirst: 100)
        let outcome = try await receiver.run { url in
            await Notifier(policy: policy).deliver(try WebhookDelivery(Self.notice, to: url, format: .json, signingKey: nil))
        }
        #expect(!outcome.delivered && outcome.attempts == 3 && outcome.status == 503)
        #expect(outcome.description == "not delivered after 3 attempts: status 503")
        // Nothing listening: a connection error (the client retries connecting until the
        // attempt's timeout), also retried and reported.
        var short = policy
        short.timeout = .milliseconds(300)
        let refused = await Notifier(policy: short).deliver(try WebhookDelivery(Self.notice, to: "http://127.0.0.1:1/hook", format: .json, signingKey: nil))
        #expect(!refused.delivered && refused.attempts == 3 && refused.error != nil)
    }
}
