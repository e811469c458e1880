import Foundation
import Server
import SlipwayTestSupport
import Testing

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
