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
    /// A class, so a lookup under the lock retains one reference rather than copying the record.
    private final class Entry: Sendable {
        let record: RunRecord
        let json: Data

        init(record: RunRecord, json: Data) {
            self.record = record
            self.json = json
        }
    }

    private let entries = Mutex<[RunID: Entry]>([:])
    /// Past this many runs the cache starts again, so memory stays bounded (~1.3 KB a run).
    private let capacity: Int

    init(capacity: Int = 20_000) {
        self.capacity = capacity
    }

    func json(for runs: [RunRecord]) throws -> [Data] {
        let cached = entries.withLock { entries in runs.map { entries[$0.id] } }
        var fresh: [Entry] = []
        let encoder = Timestamp.encoder(pretty: false)
        var out: [Data] = []
        out.reserveCapacity(runs.count)
        for i in runs.indices {
            // Records read from the same cached state share their storage, so this is cheap.
            if let entry = cached[i], entry.record == runs[i] {
                out.append(entry.json)
            } else {
                let entry = Entry(record: runs[i], json: try encoder.encode(runs[i]))
                fresh.append(entry)
                out.append(entry.json)
            }
        }
        if !fresh.isEmpty {
            entries.withLock { entries in
                if entries.count + fresh.count > capacity { entries.removeAll(keepingCapacity: true) }
                for entry in fresh { entries[entry.record.id] = entry }
            }
        }
        return out
    }
}
