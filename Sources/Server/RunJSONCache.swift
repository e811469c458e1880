import Foundation
import SlipwayAPI
import SlipwayCore

/// Each run's JSON, kept while the run is unchanged.
///
/// Foundation's JSONEncoder takes about 65 ms for a page of 1,000 runs with their stages;
/// finished runs never change, so a listing re-encodes only the runs that did (compared by
/// value, about a microsecond each).
final class RunJSONCache: Sendable {
    private final class Entry: Sendable {
        let record: RunRecord
        let json: Data

        init(record: RunRecord, json: Data) {
            self.record = record
            self.json = json
        }
    }

    /// About 1.3 KB a run.
    private let entries = BoundedCache<RunID, Entry>(capacity: 20_000)

    func json(for runs: [RunRecord]) throws -> [Data] {
        let cached = entries.values(for: runs.map(\.id))
        var fresh: [(RunID, Entry)] = []
        let encoder = Timestamp.encoder(pretty: false)
        var out: [Data] = []
        out.reserveCapacity(runs.count)
        for i in runs.indices {
            // Records read from the same cached state share their storage, so this is cheap.
            if let entry = cached[i], entry.record == runs[i] {
                out.append(entry.json)
            } else {
                let entry = Entry(record: runs[i], json: try encoder.encode(runs[i]))
                fresh.append((runs[i].id, entry))
                out.append(entry.json)
            }
        }
        entries.keep(fresh)
        return out
    }
}
