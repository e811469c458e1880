import AsyncHTTPClient
import Foundation
import NIOSSL
import SlipwayTestSupport
import Testing

/// The nginx block of docs/reverse-proxy.md, run as written (names, ports and certificate
/// paths replaced) by Debian's nginx in front of the service: the API, changes, the
/// dashboard's cookie, live logs and large webhooks all work through it.
@Suite(.tags(.large)) struct NginxProxyTests {
    /// The documented server block with this test's ports and certificate.
    static func documentedServerBlock(proxyPort: Int, upstreamPort: Int, certs: TestCertificates) throws -> String {
        let doc = try String(contentsOfFile: Busybox.checkout + "/docs/reverse-proxy.md", encoding: .utf8)
        guard let start = doc.range(of: "```nginx\n"), let end = doc.range(of: "\n```", range: start.upperBound..<doc.endIndex) else {
            throw TestFailure("docs/reverse-proxy.md has no ```nginx block")
        }
        var block = String(doc[start.upperBound..<end.lowerBound])
        for (from, to) in [("listen 443 ssl;", "listen 127.0.0.1:\(proxyPort) ssl;"),
                           ("/etc/ssl/ci.example.org.pem", certs.certificate),
                           ("/etc/ssl/private/ci.example.org.key", certs.key),
                           ("http://127.0.0.1:8080", "http://127.0.0.1:\(upstreamPort)")] {
            guard block.contains(from) else { throw TestFailure("the documented nginx block no longer says `\(from)`") }
            block = block.replacingOccurrences(of: from, with: to)
        }
        return block
    }

    @Test(.timeLimit(.minutes(2)))
    func apiLogsAndDashboardThroughNginx() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Nginx.binary), "nginx is missing: run scripts/install-deps")
        let certs = try TestCertificates()
        let pipeline = MemoryPipeline(repository: "/srv/git/web.git")
        await pipeline.addRun(status: .running)
        let live = try await LiveService.start(control: pipeline, readAccess: .token)
        let proxyPort = try freePort()
        let dir = certs.directory.path + "/nginx"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let server = try Self.documentedServerBlock(proxyPort: proxyPort, upstreamPort: live.port, certs: certs)
        let conf = try Nginx.writeConfiguration(directory: dir, main: ["master_process off;"], http: server)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Nginx.binary)
        process.arguments = ["-c", conf, "-p", dir]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(certs.ca))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls, redirectConfiguration: .disallow))
        defer {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        do {
            try await waitUntil("nginx to listen on \(proxyPort)", timeout: .seconds(20)) {
                (try? RawConnection(port: proxyPort)) != nil || !process.isRunning
            }
            #expect(process.isRunning, "nginx: \((try? String(contentsOfFile: dir + "/error.log", encoding: .utf8)) ?? "")")
            let proxied = LiveService(proxying: live, base: "https://localhost:\(proxyPort)")
            try await checkThroughProxy(proxied, pipeline: pipeline, client: client)
        } catch {
            try? await client.shutdown()
            try? await live.stop()
            throw error
        }
        try await client.shutdown()
        try await live.stop()
    }

    private func checkThroughProxy(_ proxy: LiveService, pipeline: MemoryPipeline, client: HTTPClient) async throws {
        #expect(try await proxy.request(.GET, "/healthz", client: client).text == "ok\n")
        #expect(try await proxy.request(.GET, "/api/runs", client: client).status == 401, "reads need the token behind the proxy")
        let runs = try await proxy.request(.GET, "/api/runs", token: proxy.token, client: client)
        #expect(runs.status == 200 && runs.text.contains(#""id":1"#))
        let head = try await proxy.request(.HEAD, "/api/runs", token: proxy.token, client: client)
        #expect(head.status == 200 && head.body.isEmpty)
        #expect(try await proxy.request(.POST, "/api/pipelines/web/runs", token: proxy.token, client: client).status == 201)

        // The dashboard: log in, then a change with the cookie from the proxy's own origin.
        let login = try await proxy.request(.POST, "/login", headers: ["Content-Type": "application/x-www-form-urlencoded"],
                                            body: Data("token=\(proxy.token)&next=%2F".utf8), client: client)
        #expect(login.status == 303)
        let cookie = try #require(login.headers["set-cookie"]?.split(separator: ";").first.map(String.init))
        let cancel = try await proxy.request(.POST, "/api/runs/1/cancel", headers: ["Cookie": cookie, "Origin": proxy.base], client: client)
        #expect(cancel.status == 200, "\(cancel.text)")
        let forged = try await proxy.request(.POST, "/api/runs/1/cancel", headers: ["Cookie": cookie, "Origin": "https://evil.example"],
                                             client: client)
        #expect(forged.status == 401)

        // A live log: each chunk arrives as it is written, not when nginx's buffer fills.
        var stream = try await EventStreamClient(url: proxy.base + "/api/runs/1/logs/stream", token: proxy.token, client: client)
        for i in 1...3 {
            let written = ContinuousClock.now
            await pipeline.appendLog(1, "line \(i)\n")
            let event = try await stream.next()
            #expect(event?.event == "log" && event?.data.contains("line \(i)") == true)
            #expect(ContinuousClock.now - written < .seconds(15), "chunk \(i) came through before the stream ended")
        }
        await pipeline.finish(1, status: .cancelled)
        var ended = false
        while let event = try await stream.next() { ended = ended || event.event == "end" }
        #expect(ended)

        // A webhook of a few megabytes (nginx refuses over 1 MiB unless told otherwise).
        let body = pushPayload(repository: "/srv/git/web.git") + Data(repeating: UInt8(ascii: " "), count: 3 << 20)
        let hook = try await proxy.request(.POST, "/hooks/git", headers: ["X-GitHub-Event": "push", "X-GitHub-Delivery": UUID().uuidString,
                                                                           "X-Hub-Signature-256": try githubSignature(body, secret: proxy.service.webhookSecret)],
                                           body: body, client: client)
        #expect(hook.status == 202, "\(hook.text)")
    }

    /// A port nothing listens on now (nginx binds it a moment later).
    private func freePort() throws -> Int {
        let (fd, port) = try Loopback.listener(backlog: nil)
        close(fd)
        return port
    }
}
