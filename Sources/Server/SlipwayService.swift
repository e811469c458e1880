import Hummingbird
import Logging
import ServiceLifecycle
import SlipwayAPI
import SlipwayCore
import UnixSignals

/// `slipway serve`: the JSON API, the webhook, `/metrics` and the dashboard over one
/// `PipelineControl`.
public struct SlipwayService: Sendable {
    public let control: any PipelineControl
    public let listen: ListenAddress
    public let readAccess: ReadAccess
    public let token: APIToken
    public let webhookSecret: WebhookSecret
    public let metrics = ServiceMetrics()

    public init(control: any PipelineControl, home: SlipwayHome, listen: ListenAddress, readAccess: ReadAccess? = nil) {
        self.control = control
        self.listen = listen
        self.readAccess = readAccess ?? .default(for: listen)
        token = APIToken(home: home)
        webhookSecret = WebhookSecret(home: home)
    }

    public func router() -> Router<SlipwayRequestContext> {
        let router = Router(context: SlipwayRequestContext.self)
        router.add(middleware: RequestAccounting(metrics: metrics))
        router.get("healthz") { _, _ in "ok\n" }
        let read = router.group().add(middleware: TokenGate(token: token, scope: .read, readAccess: readAccess, loopbackOnly: listen.isLoopback))
        let change = router.group().add(middleware: TokenGate(token: token, scope: .change, readAccess: readAccess, loopbackOnly: listen.isLoopback))
        read.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
        ReadRoutes(control: control).add(to: read.group("api"))
        ActionRoutes(control: control).add(to: change.group("api"))
        WebhookRoute(control: control, secret: webhookSecret).add(to: router)
        DashboardRoutes(control: control, token: token).add(read: read, open: router)
        return router
    }

    /// The HTTP server and the metrics feed, plus `services` (the orchestrator's own loops),
    /// in one group that shuts down gracefully on `signals`: the listener closes, requests in
    /// flight finish, live log streams end.
    public func serviceGroup(services: [any Service] = [], signals: [UnixSignal] = [.sigterm, .sigint],
                             logger: Logger = Logger(label: "slipway.serve"),
                             onListening: @escaping @Sendable (Int) async -> Void = { _ in }) -> ServiceGroup {
        let app = Application(router: router(),
                              configuration: .init(address: .hostname(listen.host, port: listen.port), serverName: "slipway"),
                              onServerRunning: { await onListening($0.localAddress?.port ?? 0) },
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
