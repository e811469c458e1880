import Foundation
import SlipwayCore
import Specs
import Synchronization

/// What `runBuildOrBatch` ran.
public enum BuildOutcome: Sendable {
    case single(BuildResult)
    case batch(BatchResult)
}

/// The outcome of a batch (`batch.build-list`, `build-graph` or `build-matrix`).
public struct BatchResult: Codable, Sendable {
    public struct Entry: Codable, Sendable {
        public var identifier: String
        /// SKIPPED when a dependency failed or fast-fail stopped the batch.
        public var status: BuildStatus
        public var build: BuildResult?
        public var message: String?
    }

    public var status: BuildStatus
    /// In the order the batch lists them.
    public var builds: [Entry]
}

extension BatchResult {
    /// The artifact a deploy takes from a batch: the primary artifact (else the first) of the
    /// build `identifier` names, or without one, of the only build that stored any (a batch
    /// of one deployable build needs no name). Refused, naming the batch's builds, when several
    /// stored artifacts and none is named, or the named build is not in the batch, did not
    /// succeed or stored nothing. `setting` is where the name is given, for the messages.
    public func deployableArtifact(from identifier: String?, setting: String) throws -> (build: String, artifact: BuiltArtifact) {
        func primary(_ build: BuildResult?) -> BuiltArtifact? {
            build.flatMap { $0.artifacts.first { $0.id == "primary" } ?? $0.artifacts.first }
        }
        let names = builds.map(\.identifier).joined(separator: ", ")
        if let identifier {
            guard let entry = builds.first(where: { $0.identifier == identifier }) else {
                throw SlipwayError.badInput("\(setting) names '\(identifier)', which is not a build of the batch (its builds: \(names))")
            }
            guard entry.status == .succeeded else {
                throw SlipwayError.failed("batch build '\(identifier)' (\(setting)) did not succeed: \(entry.status.rawValue)")
            }
            guard let artifact = primary(entry.build) else {
                throw SlipwayError.failed("batch build '\(identifier)' (\(setting)) stored no artifact: add an 'artifacts' section to its buildspec")
            }
            return (identifier, artifact)
        }
        let deployable = builds.compactMap { entry in
            entry.status == .succeeded ? primary(entry.build).map { (entry.identifier, $0) } : nil
        }
        guard deployable.count == 1, let only = deployable.first else {
            if deployable.isEmpty {
                throw SlipwayError.failed("no build of the batch (\(names)) stored an artifact: add an 'artifacts' section to the buildspec")
            }
            throw SlipwayError.failed("\(deployable.count) builds of the batch stored artifacts (\(deployable.map(\.0).joined(separator: ", "))): "
                                      + "name the one to deploy with \(setting)")
        }
        return only
    }
}

extension BuildRunner {
    /// A log line of a build, labelled with its batch entry when it is part of a batch.
    public static func label(_ line: String, entry: String?) -> String {
        entry.map { "[\($0)] " + line } ?? line
    }

    /// Runs every build a batch lists, each with its own buildspec (default: this one) and
    /// variables, in dependency order, independent builds in parallel (two at a time).
    /// A build whose dependency failed is skipped; with `fast-fail` nothing new starts after
    /// a failure. Entries marked `ignore-failure` do not fail the batch.
    public func runBatch(_ request: BuildRequest, batch: BatchSpec,
                         events: @escaping @Sendable (String, BuildEvent) -> Void) throws -> BatchResult {
        let entries = batch.entries
        guard !entries.isEmpty else { throw SlipwayError.badInput("the batch lists no builds") }
        let results = Mutex<[String: BatchResult.Entry]>([:])
        var pending = entries
        while !pending.isEmpty {
            let done = results.withLock { $0 }
            let tolerated = Set(entries.filter(\.ignoreFailure).map(\.identifier))
            let failed = done.values.contains { $0.status != .succeeded && !tolerated.contains($0.identifier) }
            var ready: [BatchSpec.Entry] = []
            var skipped: [BatchResult.Entry] = []
            for entry in pending where entry.dependOn.allSatisfy({ done[$0] != nil }) {
                if batch.fastFail && failed {
                    skipped.append(.init(identifier: entry.identifier, status: .skipped, message: "fast-fail: an earlier build failed"))
                } else if let bad = entry.dependOn.first(where: { done[$0]?.status != .succeeded }) {
                    skipped.append(.init(identifier: entry.identifier, status: .skipped, message: "dependency '\(bad)' did not succeed"))
                } else {
                    ready.append(entry)
                }
            }
            guard !ready.isEmpty || !skipped.isEmpty else {
                throw SlipwayError.badInput("the batch's depend-on entries form a cycle: \(pending.map(\.identifier).joined(separator: ", "))")
            }
            results.withLock { r in for s in skipped { r[s.identifier] = s } }
            let started = Set((ready + skipped.compactMap { s in pending.first { $0.identifier == s.identifier } }).map(\.identifier))
            pending.removeAll { started.contains($0.identifier) }
            // Two at a time: builds are CPU-bound and the machines have a few cores.
            for wave in stride(from: 0, to: ready.count, by: 2).map({ Array(ready[$0..<min($0 + 2, ready.count)]) }) {
                DispatchQueue.concurrentPerform(iterations: wave.count) { i in
                    let entry = wave[i]
                    var single = request
                    if let spec = entry.buildspec { single.buildspec = spec }
                    single.projectEnvironment.merge(entry.variables) { _, new in new }
                    let outcome: BatchResult.Entry
                    do {
                        let build = try run(single) { events(entry.identifier, $0) }
                        outcome = .init(identifier: entry.identifier, status: build.status, build: build, message: build.message)
                    } catch {
                        outcome = .init(identifier: entry.identifier, status: .fault, message: "\(error)")
                    }
                    results.withLock { $0[entry.identifier] = outcome }
                }
            }
        }
        let all = results.withLock { r in entries.map { r[$0.identifier]! } }
        // A skipped build is not a failure of its own: the build that caused it is counted.
        let failed = zip(entries, all).contains { entry, result in
            ![.succeeded, .skipped].contains(result.status) && !entry.ignoreFailure
        }
        return BatchResult(status: failed ? .failed : .succeeded, builds: all)
    }
}
