import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import SlipwayAPI
import SlipwayCore
import UnixSignals

/// `slipway serve`: the JSON API, the webhook, `/metrics` and the dashboard over one
/// `PipelineControl`, over plain HTTP or TLS, with its connections bounded (`ConnectionLimits`).
public struct SlipwayService: Sendable {
    public let control: any PipelineControl
    public let secrets: (any SecretControl)?
    public let listen: ListenAddress
    public let readAccess: ReadAccess
    public let limits: ConnectionLimits
    public let tls: TLSConfiguration?
    public let token: APIToken
    public let sessions: DashboardSessions
    public let webhookSecret: WebhookSecret
    public let metrics = ServiceMetrics()
    let connections: ConnectionTracker
    let deliveries: WebhookDeliveries

    /// `secrets` defaults to `control` when it handles secrets too (the orchestrator does).
    public init(control: any PipelineControl, home: SlipwayHome, listen: ListenAddress, readAccess: ReadAccess? = nil,
                limits: ConnectionLimits = .defaults(), tls: TLSConfiguration? = nil, secrets: (any SecretControl)? = nil) {
        self.control = control
        self.secrets = secrets ?? control as? any SecretControl
        self.listen = listen
        self.readAccess = readAccess ?? .default(for: listen)
        self.limits = limits
        self.tls = tls
        token = APIToken(home: home)
        sessions = DashboardSessions(home: home)
        webhookSecret = WebhookSecret(home: home)
        connections = ConnectionTracker(limit: limits.maxConnections)
        deliveries = WebhookDeliveries(home: home)
    }

    public var scheme: String { tls == nil ? "http" : "https" }

    public func router() -> Router<SlipwayRequestContext> {
        // Every GET route answers HEAD too (RequestAccounting drops the body).
        let router = Router(context: SlipwayRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: RequestAccounting(metrics: metrics))
        router.get("healthz") { _, _ in "ok\n" }
        let read = router.group().add(middleware: TokenGate(token: token, sessions: sessions, scope: .read, readAccess: readAccess, loopbackOnly: listen.isLoopback))
        let change = router.group().add(middleware: TokenGate(token: token, sessions: sessions, scope: .change, readAccess: readAccess, loopbackOnly: listen.isLoopback))
        read.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: metrics.exposition() + connections.exposition())))
        }
        ReadRoutes(control: control).add(to: read.group("api"))
        ActionRoutes(control: control).add(to: change.group("api"))
        if let secrets {
            SecretRoutes(secrets: secrets).add(read: read.group("api"), change: change.group("api"))
        }
        WebhookRoute(control: control, secret: webhookSecret, deliveries: deliveries).add(to: router)
        DashboardRoutes(control: control, secrets: secrets, token: token, sessions: sessions, secureCookie: tls != nil).add(read: read, open: router)
        return router
    }

    /// The HTTP server and the metrics feed, plus `services` (the orchestrator's own loops),
    /// in one group that shuts down gracefully on `signals`: the listener closes, requests in
    /// flight finish, live log streams end.
    public func serviceGroup(services: [any Service] = [], signals: [UnixSignal] = [.sigterm, .sigint],
                             logger: Logger = Logger(label: "slipway.serve"),
                             onListening: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> ServiceGroup {
        let (limits, connections) = (limits, connections)
        let http1 = HTTP1Channel.Configuration(additionalChannelHandlers: [ConnectionGuard(limits: limits, tracker: connections)])
        let server = try tls.map { try HTTPServerBuilder.tls(.http1(configuration: http1), tlsConfiguration: $0) } ?? HTTPServerBuilder.http1(configuration: http1)
        let app = Application(router: router(), server: server,
                              // A long accept queue (the kernel caps it at net.core.somaxconn) so a burst of
                              // connections waits there instead of having its SYNs dropped and retried.
                              configuration: .init(address: .hostname(listen.host, port: listen.port), serverName: "slipway",
                                                   backlog: 4096, availableConnectionsDelegate: ConnectionCap(tracker: connections)),
                              onServerRunning: { channel in
                                  // First on the listening socket: sees accept()'s EMFILE before NIO's back-off does.
                                  try? await channel.eventLoop.submit {
                                      try channel.pipeline.syncOperations.addHandler(AcceptErrorWatch(tracker: connections, logger: logger),
                                                                                     position: .first)
                                  }.get()
                                  await onListening(channel.localAddress?.port ?? 0)
                              },
                              logger: logger)
        // The metrics feed ending (its event stream closed, the store unreadable) must not stop
        // the service; everything else going away shuts the whole group down.
        let feed = ServiceGroupConfiguration.ServiceConfiguration(
            service: RunMetricsFeed(control: control, metrics: metrics),
            successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore)
        var configuration = ServiceGroupConfiguration(
            services: services.map { .init(service: $0) } + [feed, .init(service: app)],
            gracefulShutdownSignals: signals, logger: logger)
        // Shutdown stops the server first (the last service), then the feed, then `services`;
        // a request still running after this long is cancelled.
        configuration.maximumGracefulShutdownDuration = .seconds(30)
        return ServiceGroup(configuration: configuration)
    }
}
