import Foundation
import SlipwayAPI
import SlipwayCore
import State

// The job queue on its own: `slipway worker`'s claim loop (JobLoop) in worker processes whose
// jobs do nothing but record when they were claimed, so what is measured is the queue:
//   queue-bench DATABASE-URL                 runs the benchmark, printing its figures
//   queue-bench worker DATABASE-URL NAME     one worker process (started by the benchmark)
// Figures: enqueue → claim latency (p50, p99) with idle workers woken by NOTIFY, and the
// time per job when 500 jobs go through 1, 2 and 4 worker processes.

func microseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
}

func open(_ url: String) async throws -> StateStore {
    try await StateStore.open(try StateLocation(parsing: url))
}

/// A worker process: claims and completes at once, the claim's wall-clock time as the result.
func worker(_ url: String, _ name: String) async throws {
    let store = try await open(url)
    var options = JobLoop.Options(name: name, host: ProcessInfo.processInfo.hostName)
    options.poll = .seconds(2)
    let loop = JobLoop(store: store, options: options)
    try await loop.run(report: { FileHandle.standardError.write(Data("\(name): \($0)\n".utf8)) }) { job in
        let claimed = microseconds()
        _ = try? await store.completeJob(job.lease!, result: String(claimed))
    }
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
}

func startWorkers(_ url: String, _ count: Int, tag: String) throws -> [Process] {
    try (0..<count).map { n in
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["worker", url, "\(tag)-\(n)"]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return process
    }
}

func stop(_ workers: [Process]) {
    for worker in workers { kill(worker.processIdentifier, SIGKILL); worker.waitUntilExit() }
}

/// Waits until `count` workers named `tag-…` are registered and idle.
func awaitWorkers(_ store: StateStore, _ count: Int, tag: String) async throws {
    for _ in 0..<600 {
        if try await store.workers().workers.filter({ $0.name.hasPrefix(tag + "-") && $0.stopped == nil }).count == count { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw SlipwayError.failed("the \(count) worker processes did not register")
}

func benchmark(_ url: String) async throws {
    let store = try await open(url)
    let record = RunRecord(id: 0, pipeline: "bench", status: .running, trigger: Trigger(.cli, actor: "bench"),
                           commit: nil, created: Date(), stages: [])
    let run = try await store.insertRun(record, owner: nil).record.id

    // Latency: one job at a time to two idle workers, each claim woken by NOTIFY.
    let idle = try startWorkers(url, 2, tag: "latency")
    try await awaitWorkers(store, 2, tag: "latency")
    var latencies: [Double] = []
    for _ in 0..<200 {
        let enqueued = microseconds()
        let job = try await store.enqueueJob(NewJob(kind: .build, run: run, stage: "noop"))
        var done: Job?
        while done == nil {
            try await Task.sleep(for: .milliseconds(2))
            done = try await store.job(job.id).flatMap { $0.state == .done ? $0 : nil }
        }
        latencies.append(Double(Int64(done!.result!)! - enqueued) / 1000)
        try await Task.sleep(for: .milliseconds(Int.random(in: 5...25)))
    }
    stop(idle)
    latencies.sort()
    print(String(format: "enqueue -> claim, 200 jobs, 2 idle workers: p50 %.2f ms, p99 %.2f ms, max %.2f ms",
                 percentile(latencies, 0.5), percentile(latencies, 0.99), latencies.last!))

    // Throughput: 500 jobs queued, then drained by 1, 2 and 4 worker processes started on
    // them; timed from the first claim to the last (the workers' own start-up left out).
    var perJob: [Int: Double] = [:]
    for count in [1, 2, 4] {
        let drained = try await store.insertRun(record, owner: nil).record.id
        for _ in 0..<500 { _ = try await store.enqueueJob(NewJob(kind: .build, run: drained, stage: "noop")) }
        let workers = try startWorkers(url, count, tag: "drain\(count)")
        var done: [Job] = []
        while done.count < 500 {
            try await Task.sleep(for: .milliseconds(20))
            done = try await store.jobs(run: drained, state: .done)
        }
        stop(workers)
        let claims = done.compactMap { $0.result.flatMap(Int64.init) }.sorted()
        let span = Double(claims.last! - claims.first!) / 1000
        perJob[count] = span / Double(claims.count - 1)
        print(String(format: "500 jobs, %d worker process%@: %.0f ms from first claim to last, %.2f ms per job, %.0f jobs/s",
                     count, count == 1 ? "" : "es", span, perJob[count]!, 1000 / perJob[count]!))
    }
    print(String(format: "throughput 2 vs 1 workers: %.2fx, 4 vs 1: %.2fx", perJob[1]! / perJob[2]!, perJob[1]! / perJob[4]!))
}

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    switch arguments.first {
    case "worker" where arguments.count == 3: try await worker(arguments[1], arguments[2])
    case let url? where arguments.count == 1: try await benchmark(url)
    default:
        FileHandle.standardError.write(Data("usage: queue-bench DATABASE-URL | queue-bench worker DATABASE-URL NAME\n".utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("queue-bench: \(error)\n".utf8))
    exit(1)
}
