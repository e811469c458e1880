import Foundation
import Server
import SlipwayTestSupport
import Testing
import Webhooks

@Suite(.tags(.small)) struct WebhookTests {
    @Test func wrongOrMissingSignatureQueuesNothing() async throws {
        let pipeline = MemoryPipeline(repository: "/srv/git/web.git")
        try await LiveService.with(control: pipeline) { live throws in
            let body = pushPayload(repository: "/srv/git/web.git")
            let good = try githubSignature(body, secret: live.service.webhookSecret)
            let tampered = pushPayload(repository: "/srv/git/web.git", after: String(repeating: "2", count: 40))
            for signature in [nil, "", "sha256=", "sha256=zz", "sha1=" + good.dropFirst(7),
                              "sha256=" + String(repeating: "0", count: 64), good.uppercased()] {
                let reply = try await live.hook(body, signature: signature)
                #expect(reply.status == 401, "signature \(signature ?? "none")")
            }
            #expect(try await live.hook(tampered, signature: good).status == 401, "a signature covers exactly its body")
            #expect(try await live.hook(body, event: "ping", signature: nil).status == 401)
            #expect(await pipeline.pushes.isEmpty)
            #expect(await pipeline.records.isEmpty)
        }
    }

    @Test func signedPushStartsRuns() async throws {
        let pipeline = MemoryPipeline(repository: "/srv/git/web.git")
        try await LiveService.with(control: pipeline) { live throws in
            let body = pushPayload(repository: "/srv/git/web.git")
            let reply = try await live.hook(body, signature: try githubSignature(body, secret: live.service.webhookSecret))
            #expect(reply.status == 202)
            let outcome = try #require(try reply.json() as? [String: Any])
            #expect(outcome["runs"] as? [Int] == [1])
            #expect(await pipeline.pushes.first == .init(repository: "/srv/git/web.git", branch: "main"))
            #expect(await pipeline.records[1]?.trigger == .init(.webhook, actor: "octocat@127.0.0.1"))
        }
    }

    @Test func pingTagsAndOtherEvents() async throws {
        let pipeline = MemoryPipeline()
        try await LiveService.with(control: pipeline) { live throws in
            let secret = live.service.webhookSecret
            let ping = Data(#"{"zen":"Keep it logically awesome.","hook_id":1}"#.utf8)
            #expect(try await live.hook(ping, event: "ping", signature: try githubSignature(ping, secret: secret)).status == 200)
            let tag = Data(#"{"ref":"refs/tags/v1","repository":{"clone_url":"/srv/git/web.git"}}"#.utf8)
            let tagReply = try await live.hook(tag, signature: try githubSignature(tag, secret: secret))
            #expect(tagReply.status == 202)
            #expect(tagReply.text.contains("not a branch"))
            let issue = Data("{}".utf8)
            #expect(try await live.hook(issue, event: "issues", signature: try githubSignature(issue, secret: secret)).status == 202)
            let junk = Data("[1,2".utf8)
            #expect(try await live.hook(junk, signature: try githubSignature(junk, secret: secret)).status == 400)
            #expect(await pipeline.pushes.isEmpty)
        }
    }

    @Test func oversizedBodyIsRefused() async throws {
        let pipeline = MemoryPipeline()
        try await LiveService.with(control: pipeline) { live throws in
            let body = Data(repeating: UInt8(ascii: " "), count: 6 << 20)
            let reply = try await live.hook(body, signature: try githubSignature(body, secret: live.service.webhookSecret))
            #expect(reply.status == 413)
            #expect(await pipeline.pushes.isEmpty)
        }
    }

    @Test func emptySecretRefusesEverything() async throws {
        let pipeline = MemoryPipeline()
        try await LiveService.with(control: pipeline) { live throws in
            let body = pushPayload(repository: "/srv/git/web.git")
            let signature = try githubSignature(body, secret: live.service.webhookSecret)
            try Data("\n".utf8).write(to: URL(fileURLWithPath: live.service.webhookSecret.file))
            #expect(try await live.hook(body, signature: signature).status == 401)
            #expect(await pipeline.pushes.isEmpty)
        }
    }
}

/// A delivery is acted on once: a forge's redelivery or a replayed recording of a signed
/// request is answered `duplicate` and starts nothing, also after a restart.
@Suite(.tags(.small)) struct WebhookReplayTests {
    @Test func aReplayedDeliveryStartsNothing() async throws {
        let pipeline = MemoryPipeline(repository: "/srv/git/web.git")
        let home = try TemporaryDirectory("slipway-hooks")
        let body = pushPayload(repository: "/srv/git/web.git")
        let id = UUID().uuidString
        try await LiveService.with(control: pipeline, home: home.home) { live throws in
            let signature = try githubSignature(body, secret: live.service.webhookSecret)
            // A request that fails the signature check does not use up the id.
            #expect(try await live.hook(body, signature: "sha256=" + String(repeating: "0", count: 64),
                                        delivery: ("X-GitHub-Delivery", id)).status == 401)
            let first = try await live.hook(body, signature: signature, delivery: ("X-GitHub-Delivery", id))
            #expect(first.status == 202)
            #expect((try first.json() as? [String: Any])?["runs"] as? [Int] == [1])
            let replay = try await live.hook(body, signature: signature, delivery: ("X-GitHub-Delivery", id))
            #expect(replay.status == 200)
            let outcome = try #require(try replay.json() as? [String: Any])
            #expect(outcome["duplicate"] as? Bool == true)
            #expect(outcome["runs"] as? [Int] == [])
            #expect((outcome["ignored"] as? String)?.contains(id) == true)
            // Other forges' delivery headers count the same way.
            let gitea = UUID().uuidString
            #expect(try await live.hook(body, signature: signature, delivery: ("X-Gitea-Delivery", gitea)).status == 202)
            #expect(try await live.hook(body, signature: signature, delivery: ("X-Gitea-Delivery", gitea)).status == 200)
            let gitlab = UUID().uuidString
            #expect(try await live.hook(body, signature: signature, delivery: ("Idempotency-Key", gitlab)).status == 202)
            #expect(try await live.hook(body, signature: signature, delivery: ("Idempotency-Key", gitlab)).status == 200)
        }
        #expect(await pipeline.records.count == 3)
        // A restarted service remembers what it acted on.
        try await LiveService.with(control: pipeline, home: home.home) { live throws in
            let signature = try githubSignature(body, secret: live.service.webhookSecret)
            let replay = try await live.hook(body, signature: signature, delivery: ("X-GitHub-Delivery", id))
            #expect(replay.status == 200 && replay.text.contains("duplicate"))
        }
        #expect(await pipeline.records.count == 3)
    }

    @Test func concurrentCopiesRunOnce() async throws {
        let pipeline = MemoryPipeline(repository: "/srv/git/web.git")
        try await LiveService.with(control: pipeline) { live throws in
            let body = pushPayload(repository: "/srv/git/web.git")
            let signature = try githubSignature(body, secret: live.service.webhookSecret)
            let id = UUID().uuidString
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 { group.addTask { try await live.hook(body, signature: signature, delivery: ("X-GitHub-Delivery", id)).status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 202 }.count == 1, "\(statuses)")
            #expect(statuses.filter { $0 == 200 }.count == 7, "\(statuses)")
        }
        #expect(await pipeline.records.count == 1)
    }

    @Test func deliveryIDsAreBoundedText() {
        #expect(DeliveryID.validated("72d3162e-cc78-11e3-81ab-4c9367dc0958") != nil)
        for bad in ["", "a b", "é", String(repeating: "a", count: 129)] {
            #expect(DeliveryID.validated(bad) == nil, "\(bad)")
        }
    }
}
