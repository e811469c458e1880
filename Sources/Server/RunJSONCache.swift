import Foundation
import SlipwayAPI
import SlipwayCore
import Synchronization

/// Each run's JSON, kept while the run is unchanged.
///
/// Foundation's JSONEncoder takes about 65 ms for a page of 1,000 runs with their stages;
/// finished runs never change, so a listing re-encodes only the runs that did (compared by
/// value, about a microsecond each).
final class RunJSONCache: Sendable {
    private let entries = Mutex<[RunID: (record: RunRecord, json: Data)]>([:])
    /// Past this many runs the cache starts again, so memory stays bounded (~1.3 KB a run).
    private let capacity: Int

    init(capacity: Int = 20_000) {
        self.capacity = capacity
    }

    func json(for runs: [RunRecord]) throws -> [Data] {
        let cached = entries.withLock { entries in runs.map { run in entries[run.id].flatMap { $0.record == run ? $0.json : nil } } }
        var fresh: [(RunRecord, Data)] = []
        let encoder = Timestamp.encoder(pretty: false)
        let out = try zip(runs, cached).map { run, json in
            if let json { return json }
            let encoded = try encoder.encode(run)
            fresh.append((run, encoded))
            return encoded
        }
        if !fresh.isEmpty {
            entries.withLock { entries in
                if entries.count + fresh.count > capacity { entries.removeAll(keepingCapacity: true) }
                for (run, json) in fresh { entries[run.id] = (run, json) }
            }
        }
        return out
    }
}
