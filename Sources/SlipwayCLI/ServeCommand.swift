import ArgumentParser
import Foundation
import Pipeline
import Server
import SlipwayCore
import State
import Synchronization

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the service: JSON API, git webhook, Prometheus metrics and the dashboard.",
        discussion: """
            Serves every pipeline registered in $SLIPWAY_HOME (by `slipway run` or --pipeline), \
            starts runs for pushes (`POST /hooks/git`, `slipway hook`) and polled branches. The \
            first start prints the API token once (only its hash is kept) and creates the webhook \
            secret in $SLIPWAY_HOME/serve/webhook-secret. Changes need the token \
            (Authorization: Bearer TOKEN); reads are open on a loopback address and need the token \
            otherwise. One service per $SLIPWAY_HOME. Several services may share one PostgreSQL database (--database, \
            behind a load balancer): each serves the API, dashboard and webhooks, and one of them, \
            elected with an advisory lock, schedules (polls, cron, job lease reaping, taking over \
            runs); when it dies another takes over within seconds (see docs/restarts.md). SIGTERM \
            or SIGINT shuts down gracefully. Runs \
            in flight survive a restart: this service takes over, where they were, the runs of \
            services and `slipway run` processes that stopped (see docs/restarts.md). With \
            --database postgres://… the state is kept in that PostgreSQL database (a server that does \
            not answer yet is waited for, $SLIPWAY_DATABASE_WAIT seconds). Exit status: \
            0 after a graceful shutdown, 2 bad input (a taken port, another service on the same \
            $SLIPWAY_HOME, unreadable TLS files, a wrong database URL, user or password).
            """)

    @Option(help: "HOST:PORT to listen on ([::1]:8080 for IPv6; port 0 picks a free one).")
    var listen = "127.0.0.1:8080"
    @Option(help: "Who may read without the token: open or token (default: open on a loopback address, token otherwise).")
    var readAccess: ReadAccess?
    @Option(help: ArgumentHelp("Register the pipeline of a project directory (its slipway.yml) before serving; repeatable.",
                               valueName: "dir"))
    var pipeline: [String] = []
    @Flag(help: "Replace the API token with a new one, print it and exit; a running service accepts only the new one from then on.")
    var newToken = false
    @Option(help: ArgumentHelp("Serve HTTPS with this PEM certificate chain (the server's certificate first); needs --tls-key.",
                               valueName: "file"))
    var tlsCert: String?
    @Option(help: ArgumentHelp("The PEM private key of --tls-cert (unencrypted; keep it mode 0600).", valueName: "file"))
    var tlsKey: String?
    @OptionGroup var connections: ConnectionLimitOptions
    @OptionGroup var artifacts: ArtifactsOption
    @Flag(help: """
        Queue builds for `slipway worker` processes instead of building here; needs --artifacts (or \
        $SLIPWAY_ARTIFACTS), where workers put what they build.
        """)
    var workers = false
    @OptionGroup var state: DatabaseOption

    func run() async throws {
        let home = SlipwayHome.fromEnvironment()
        if newToken {
            print(try APIToken(home: home).issue())
            return
        }
        let address = try ListenAddress.parse(listen)
        let tls = try TLSFiles.configuration(certificate: tlsCert, key: tlsKey)
        let limits = try connections.limits()
        let lock = try ServeLock(home: home)
        try address.checkAvailable()
        let bucket = try artifacts.bucket()
        if workers && bucket == nil {
            throw SlipwayError.badInput("--workers needs --artifacts s3://BUCKET[/PREFIX] (or $SLIPWAY_ARTIFACTS): workers put the artifacts they build there")
        }
        let orchestrator = try await state.orchestrator(home: home, artifacts: bucket, buildsOnWorkers: workers)
        for directory in pipeline {
            let project = try ProjectPipeline(directory: directory, target: nil)
            try await orchestrator.register(project.spec)
            Terminal.note("pipeline \(project.spec.name): \(project.spec.source.repository)")
        }
        let service = SlipwayService(control: orchestrator, home: home, listen: address, readAccess: readAccess, limits: limits, tls: tls)
        if let token = try service.token.issueIfMissing() {
            Terminal.note("API token (shown only now; `slipway serve --new-token` replaces it): \(token)")
        }
        if try service.webhookSecret.createIfMissing() {
            Terminal.note("webhook secret created in \(service.webhookSecret.file): give your git host the same secret")
        }
        let poller = Poller(orchestrator: orchestrator)
        let metrics = service.metrics
        let told = Atomic<Bool>(false)
        let scheduler = Scheduler(orchestrator: orchestrator, poller: poller) { event in
            switch event {
            case .elected: metrics.setScheduler(true)
            case .deposed, .standby: metrics.setScheduler(false)
            case .unreachable: break
            }
            guard !told.exchange(true, ordering: .relaxed) else { return }
            Terminal.note(Self.role(event, database: orchestrator.store.dialect == .postgres ? orchestrator.store.path : nil))
        }
        let host = address.host.contains(":") ? "[\(address.host)]" : address.host
        let reads = service.readAccess == .open ? "reads open" : "reads need the token"
        let scheme = service.scheme
        // Shutdown stops the scheduling, then the orchestrator: its runs are released, in their
        // state, for the next start (or the scheduler of the other instances), which takes them
        // over (as it takes over those of any process that stopped).
        let group = try service.serviceGroup(services: [BackgroundLoop { await orchestrator.run() }, BackgroundLoop { await scheduler.run() }]) { port in
            Terminal.note("slipway serve: \(scheme)://\(host):\(port)/ (dashboard; API under /api, metrics at /metrics; \(reads))")
        }
        do {
            try await group.run()
        } catch where PortOwner.isAddressInUse(error) {
            // Taken between the check above and the server's own bind.
            throw PortOwner.inUseError(address)
        }
        withExtendedLifetime(lock) {}
    }

    /// What `slipway serve` says at startup about the scheduler role.
    static func role(_ event: ElectionEvent, database: String?) -> String {
        switch event {
        case .elected:
            guard let database else { return "scheduler: this instance (polls, fires schedules, reaps job leases, takes over runs)" }
            return "scheduler: this instance, elected on \(database) (polls, fires schedules, reaps job leases, takes over runs); "
                + "other instances on the database stand by"
        case let .standby(holder):
            return "scheduler: standing by (\(holder.map { "'\($0)'" } ?? "another instance") schedules); this instance serves the API, "
                + "dashboard and webhooks, and takes over scheduling within seconds if that one stops"
        case let .unreachable(message, _), let .deposed(message):
            return "scheduler: not yet (\(message)); this instance keeps trying and serves the API meanwhile"
        }
    }
}

extension ReadAccess: ExpressibleByArgument {}
