import Foundation
import SlipwayAPI
import SlipwayCore

/// Each run's JSON, stamped with the record it encodes and kept while the run is unchanged.
///
/// Foundation's JSONEncoder takes about 65 ms for a page of 1,000 runs with their stages;
/// finished runs never change, so a listing re-encodes only the runs that did (compared by
/// value, about a microsecond each).
final class RunJSONCache: Sendable {
    /// About 1.3 KB a run.
    private let entries = BoundedCache<RunID, Stamped<RunRecord, Data>>(capacity: 20_000)

    func json(for runs: [RunRecord]) throws -> [Data] {
        // Records read from the same cached state share their storage, so comparing is cheap.
        let cached = entries.values(for: runs.map(\.id), at: runs)
        var fresh: [(RunID, Stamped<RunRecord, Data>)] = []
        let encoder = Timestamp.encoder(pretty: false)
        var out: [Data] = []
        out.reserveCapacity(runs.count)
        for i in runs.indices {
            if let entry = cached[i] {
                out.append(entry.value)
            } else {
                let entry = Stamped(try encoder.encode(runs[i]), at: runs[i])
                fresh.append((runs[i].id, entry))
                out.append(entry.value)
            }
        }
        entries.keep(fresh)
        return out
    }
}
