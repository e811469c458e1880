import ArgumentParser
import Foundation
import Pipeline
import Server
import SlipwayCore

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
            otherwise. SIGTERM or SIGINT shuts down gracefully. Runs in flight survive a \
            restart: this service takes over, where they were, the runs of services and \
            `slipway run` processes that stopped (see docs/restarts.md).
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

    func run() async throws {
        let home = SlipwayHome.fromEnvironment()
        if newToken {
            print(try APIToken(home: home).issue())
            return
        }
        let address = try ListenAddress.parse(listen)
        let orchestrator = try Orchestrator(home: home)
        for directory in pipeline {
            let project = try ProjectPipeline(directory: directory, target: nil)
            try await orchestrator.register(project.spec)
            Terminal.note("pipeline \(project.spec.name): \(project.spec.source.repository)")
        }
        let service = SlipwayService(control: orchestrator, home: home, listen: address, readAccess: readAccess)
        if let token = try service.token.issueIfMissing() {
            Terminal.note("API token (shown only now; `slipway serve --new-token` replaces it): \(token)")
        }
        if try service.webhookSecret.createIfMissing() {
            Terminal.note("webhook secret created in \(service.webhookSecret.file): give your git host the same secret")
        }
        let poller = Poller(orchestrator: orchestrator)
        let host = address.host.contains(":") ? "[\(address.host)]" : address.host
        let reads = service.readAccess == .open ? "reads open" : "reads need the token"
        // Shutdown stops the poller, then the orchestrator: its runs are released, in their
        // state, for the next start, which takes them over (as it takes over those of any
        // process that stopped).
        try await service.serviceGroup(services: [BackgroundLoop { await orchestrator.run(adopting: true) }, BackgroundLoop { await poller.run() }]) { port in
            Terminal.note("slipway serve: http://\(host):\(port)/ (dashboard; API under /api, metrics at /metrics; \(reads))")
        }.run()
    }
}

extension ReadAccess: ExpressibleByArgument {}
