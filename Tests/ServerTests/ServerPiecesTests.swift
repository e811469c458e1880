import Foundation
@testable import Server
import SlipwayCore
import SlipwayTestSupport
import Testing
import Webhooks

@Suite(.tags(.small)) struct ServerPiecesTests {
    @Test func loopbackHostsAreLiteralsNotPrefixes() {
        #expect(TokenGate.isLoopbackHost("127.0.0.1:8080") && TokenGate.isLoopbackHost("[::1]:1") && TokenGate.isLoopbackHost("localhost"))
        #expect(TokenGate.isLoopbackHost("[0:0:0:0:0:0:0:1]"))
        for host in ["127.0.0.1.attacker.example", "[::1].x", "[::2]", "127.0.0.1:", "127.0.0.1:99999", "::1", "localhost:80:80", ""] {
            #expect(!TokenGate.isLoopbackHost(host), "\(host)")
        }
        #expect(!ListenAddress(host: "127.0.0.1.attacker.example", port: 80).isLoopback)
    }

    /// The listening socket is found however far down /proc/net/tcp it is: the table of a
    /// busy machine is many pages, and a reader that stops at the first short read misses it.
    @Test func aPortsOwnerIsFoundPastTheFirstPageOfTheTable() throws {
        let listeners = try (0..<120).map { _ in try Loopback.listener() }
        defer { listeners.forEach { close($0.fd) } }
        let table = String(decoding: try Syscall.readFile("/proc/net/tcp"), as: UTF8.self)
        #expect(table.utf8.count > 4096 * 2, "more than a page: \(table.utf8.count) bytes")
        for (_, port) in [listeners[0], listeners[60], listeners[119]] {
            #expect(PortOwner.find(port: port)?.pid == getpid(), "port \(port)")
        }
    }

    @Test func listenAddresses() throws {
        #expect(try ListenAddress.parse("127.0.0.1:8080") == ListenAddress(host: "127.0.0.1", port: 8080))
        #expect(try ListenAddress.parse("[::1]:0") == ListenAddress(host: "::1", port: 0))
        #expect(try ListenAddress.parse("0.0.0.0:80").description == "0.0.0.0:80")
        for bad in ["8080", ":8080", "host:", "host:99999", "::1:8080", "[::1]8080", "host:http"] {
            #expect(throws: (any Error).self, "\(bad)") { try ListenAddress.parse(bad) }
        }
    }

    @Test func pushPayloadNames() throws {
        let push = try JSONDecoder().decode(PushEvent.self, from: pushPayload(repository: "https://git.example/team/web.git"))
        #expect(push.branch == "main")
        #expect(push.repositoryNames == ["https://git.example/team/web.git", "https://example.invalid/team/web", "team/web"])
        #expect(push.actor == "octocat")
        let tag = try JSONDecoder().decode(PushEvent.self, from: Data(#"{"ref":"refs/tags/v1","repository":{}}"#.utf8))
        #expect(tag.branch == nil)
        #expect(tag.repositoryNames.isEmpty)
    }

    @Test func loginRedirectsStayOnTheService() {
        #expect(DashboardRoutes.safeNext("/runs/3") == "/runs/3")
        for bad in [nil, "", "//evil.example", "https://evil.example", "/\\evil.example", "runs"] {
            #expect(DashboardRoutes.safeNext(bad) == "/", "\(bad ?? "nil")")
        }
    }

    @Test func htmlEscaping() {
        let message = #"<a href="x" onclick='y'>&</a>"#
        let html: HTML = "<p title=\"\(message)\">\(message)</p>"
        #expect(html.markup == "<p title=\"&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;\">&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;</p>")
        #expect(HTML.pathSegment("a b/<c>") == "a%20b%2F%3Cc%3E")
    }

    @Test func commitIDs() throws {
        #expect(try ActionRoutes.commitID("ABCDEF12") == "abcdef12")
        for bad in ["", "abc", "-abc1234", "HEAD~1", "main", String(repeating: "a", count: 65)] {
            #expect(throws: (any Error).self, "\(bad)") { try ActionRoutes.commitID(bad) }
        }
    }
}
