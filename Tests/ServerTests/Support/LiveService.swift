import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOSSL
@testable import Server
import ServiceLifecycle
import SlipwayAPI
import SlipwayCore
import SlipwayTestSupport

/// A `SlipwayService` listening on an ephemeral loopback port for one test, with its token.
struct LiveService {
    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        func json() throws -> Any { try JSONSerialization.jsonObject(with: body) }
    }

    let service: SlipwayService
    let group: ServiceGroup
    let port: Int
    let token: String
    let home: SlipwayHome
    private let running: Task<Void, any Error>
    /// The home made for this service when the test gave none.
    private let scratch: TemporaryDirectory?

    /// Set when requests go through a proxy in front of the service.
    fileprivate var proxyBase: String?
    var base: String { proxyBase ?? "\(service.scheme)://127.0.0.1:\(port)" }


    /// Redirects are answers under test here, not something to follow.
    static let client = HTTPClient(eventLoopGroupProvider: .singleton,
                                   configuration: .init(redirectConfiguration: .disallow))

    /// Runs `body` against a started service and shuts it down gracefully afterwards.
    static func with(control: any PipelineControl, readAccess: ReadAccess? = nil, home: SlipwayHome? = nil,
                     limits: ConnectionLimits = .defaults(), _ body: (LiveService) async throws -> Void) async throws {
        let live = try await start(control: control, readAccess: readAccess, home: home, limits: limits)
        do {
            try await body(live)
            try await live.stop()
        } catch {
            try? await live.stop()
            throw error
        }
    }

    static func start(control: any PipelineControl, readAccess: ReadAccess? = nil, home: SlipwayHome? = nil,
                      services: [any Service] = [], limits: ConnectionLimits = .defaults(),
                      tls: TLSConfiguration? = nil) async throws -> LiveService {
        let scratch = home == nil ? try TemporaryDirectory("slipway-serve") : nil
        let home = home ?? SlipwayHome(path: scratch!.path)
        let service = SlipwayService(control: control, home: home, listen: ListenAddress(host: "127.0.0.1", port: 0),
                                     readAccess: readAccess, limits: limits, tls: tls)
        let token = try service.token.issue()
        try service.webhookSecret.createIfMissing()
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "slipway.serve.test")
        logger.logLevel = .warning
        let group = try service.serviceGroup(services: services, signals: [], logger: logger, onListening: { portSink.yield($0); portSink.finish() })
        let running = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw SlipwayError.failed("the service did not start") }
        return LiveService(service: service, group: group, port: port, token: token, home: home, running: running, scratch: scratch)
    }

    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await running.value
    }

    enum Method: String { case GET, HEAD, POST, PUT, DELETE }

    func request(_ method: Method, _ path: String, token: String? = nil, headers: [String: String] = [:],
                 body: Data? = nil, client: HTTPClient = LiveService.client) async throws -> Reply {
        var request = HTTPClientRequest(url: base + path)
        request.method = .init(rawValue: method.rawValue)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            if !headers.keys.contains("Content-Type") { request.headers.add(name: "Content-Type", value: "application/json") }
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        let buffer = try await response.body.collect(upTo: 64 << 20)
        var headers: [String: String] = [:]
        for header in response.headers { headers[header.name.lowercased()] = header.value }
        return Reply(status: Int(response.status.code), headers: headers, body: Data(buffer.readableBytesView))
    }

    func get(_ path: String, token: String? = nil) async throws -> Reply {
        try await request(.GET, path, token: token)
    }

    func post(_ path: String, token: String? = nil, json: String? = nil) async throws -> Reply {
        try await request(.POST, path, token: token, body: json.map { Data($0.utf8) })
    }

    /// Logs in as the dashboard does; returns the `Cookie` header value of the session.
    func sessionCookie(remember: Bool = false) async throws -> String {
        let reply = try await request(.POST, "/login", headers: ["Content-Type": "application/x-www-form-urlencoded"],
                                      body: Data("token=\(token)\(remember ? "&remember=1" : "")&next=%2F".utf8))
        guard let header = reply.headers["set-cookie"], reply.status == 303 else {
            throw SlipwayError.failed("login answered \(reply.status) without a cookie")
        }
        return String(header.split(separator: ";")[0])
    }
}

extension LiveService {
    /// The same service, reached through a proxy at `base`.
    init(proxying live: LiveService, base: String) {
        self = live
        proxyBase = base
    }
}
