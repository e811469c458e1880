import ArgumentParser
import Foundation
import Pipeline
import SlipwayCore
import Specs
import State

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Build, on this machine, the jobs that `slipway serve --workers` queues.",
        discussion: """
            Takes build jobs from the state database (--database, the service's), those whose \
            pipeline's build.labels are all among --labels, up to --concurrency at once. Each \
            build runs in this machine's sandbox on an image from this machine's store (pulled \
            from its registry on first use), from a checkout of the run's commit; its log goes \
            to the database as it is written (the dashboard shows it live), its artifact to the \
            bucket. A job is held under a lease renewed every third of --lease: a worker killed \
            or cut off loses it, and the job goes to another worker; its late log lines and \
            result are refused. SIGTERM or SIGINT stops the builds and hands their jobs back, to \
            be taken at once by another worker. Build secrets are read from this machine's \
            $SLIPWAY_HOME (`slipway secret set` there). Exit status: 0 after SIGTERM/SIGINT, 2 bad \
            input (a wrong database URL, no bucket, a bad label, a name another running worker has).
            """)

    @Option(help: ArgumentHelp("Labels this worker has, comma-separated: it takes the jobs whose build.labels are all among them.",
                               valueName: "a,b"))
    var labels = ""
    @Option(help: "How many builds it runs at once.") var concurrency = 1
    @Option(help: "Its name in `slipway workers` and the runs' logs (default: HOST-PID).") var name: String?
    @Option(help: "How long a job stays this worker's without a heartbeat, e.g. 30s (the default).") var lease: SandboxDuration?
    @Option(help: ArgumentHelp("Where artifacts go: s3://BUCKET[/PREFIX], the service's (default: $SLIPWAY_ARTIFACTS).",
                               valueName: "s3-url"))
    var artifacts: String?
    @OptionGroup var state: DatabaseOption

    func run() async throws {
        let labels = labels.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for label in labels where !PipelineSpec.Build.isLabel(label) {
            throw SlipwayError.badInput("--labels: '\(label)' is not a label (use letters, digits, '.', '_' and '-')")
        }
        guard concurrency >= 1 else { throw SlipwayError.badInput("--concurrency must be at least 1, not \(concurrency)") }
        guard let bucket = try ArtifactCommand.configuredBucket(artifacts) else {
            throw SlipwayError.badInput("a worker needs --artifacts s3://BUCKET[/PREFIX] (or $SLIPWAY_ARTIFACTS): the service fetches what it builds from there")
        }
        let host = ProcessInfo.processInfo.hostName
        var options = Worker.Options(name: name ?? "\(host)-\(getpid())", host: host)
        options.labels = labels
        options.concurrency = concurrency
        if let lease { options.lease = .milliseconds(Int64(lease.seconds * 1000)) }
        let orchestrator = try await state.orchestrator(artifacts: bucket)
        let name = options.name
        let worker = Worker(orchestrator: orchestrator, options: options) { Terminal.note("worker \(name): \($0)") }
        let task = Task { try await worker.run() }
        let signals = SignalHandlers.install { _ in task.cancel() }
        defer { signals.forEach { $0.cancel() } }
        Terminal.note("slipway worker \(name): taking jobs from \(orchestrator.store.path)"
                      + (labels.isEmpty ? " (no labels)" : " with labels \(labels.sorted().joined(separator: ", "))")
                      + ", \(concurrency) at once; artifacts to \(bucket.location)")
        try await task.value
        Terminal.note("slipway worker \(name): stopped")
    }
}

struct WorkersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workers",
        abstract: "List the workers: labels, last heartbeat and the jobs they hold.",
        discussion: """
            STATE is working or idle, stopped (it stopped on its own), or lost (no heartbeat for \
            a whole lease: killed, or cut off; its jobs go to others once the lease expires). \
            Exit status: 0 listed, 2 bad input.
            """)

    @Flag(help: "Print JSON: each worker with its state and jobs.") var json = false
    @OptionGroup var state: DatabaseOption

    /// A worker as listed: its record and what that makes it now.
    struct Listed: Encodable {
        var worker: WorkerRecord
        var state: String
        var secondsSinceHeartbeat: Double

        func encode(to encoder: any Encoder) throws {
            try worker.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(state, forKey: .state)
            try container.encode(secondsSinceHeartbeat, forKey: .secondsSinceHeartbeat)
        }

        enum Keys: String, CodingKey { case state, secondsSinceHeartbeat }
    }

    func run() async throws {
        let store = try await state.store(home: .fromEnvironment(), readOnly: true)
        let (workers, now) = try await store.workers()
        let listed = workers.map { Listed(worker: $0, state: $0.state(now: now), secondsSinceHeartbeat: now.timeIntervalSince($0.heartbeat)) }
        if json { return try Terminal.json(listed) }
        Terminal.table(["WORKER", "HOST", "LABELS", "AT ONCE", "STATE", "HEARTBEAT", "JOBS"], listed.map { entry in
            let worker = entry.worker
            return [worker.name, worker.host, worker.labels.isEmpty ? "-" : worker.labels.joined(separator: ","), "\(worker.concurrency)",
                    entry.state, "\(Int(entry.secondsSinceHeartbeat.rounded())) s ago",
                    worker.jobs.isEmpty ? "-" : worker.jobs.map { "\($0.id.rawValue) (run \($0.run))" }.joined(separator: ", ")]
        })
    }
}
