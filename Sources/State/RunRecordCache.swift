import SlipwayAPI
import Synchronization

/// Runs as last read, each with the change stamp it was read at.
///
/// A run's `version` column moves on every write to the run or its stages, by any process
/// (triggers in the schema, migration v2), so an unchanged stamp means an unchanged record.
/// Decoding 1,000 runs and their 4,000 stages into records was most of the cost of a listing;
/// with this a listing reads ids and stamps and decodes only the runs whose stamp moved.
final class RunRecordCache: Sendable {
    /// A class, so a lookup under the lock retains one reference instead of copying the
    /// record's dozen strings and arrays (copies were a third of a 1,000-run listing's CPU).
    final class Entry: Sendable {
        let version: Int64
        let record: RunRecord

        init(version: Int64, record: RunRecord) {
            self.version = version
            self.record = record
        }
    }

    private let entries = Mutex<[RunID: Entry]>([:])
    /// Past this many runs the cache starts again, so memory stays bounded.
    private let capacity: Int

    init(capacity: Int = 20_000) {
        self.capacity = capacity
    }

    /// The cached record of each run, or nil where the cache has none at that stamp.
    func records(for stamps: [(id: RunID, version: Int64)]) -> [Entry?] {
        entries.withLock { entries in
            stamps.map { stamp in entries[stamp.id].flatMap { $0.version == stamp.version ? $0 : nil } }
        }
    }

    /// Keeps records read at the given stamps. A reader holding an older snapshot does not
    /// replace a newer entry.
    func keep(_ fresh: [Entry]) {
        guard !fresh.isEmpty else { return }
        entries.withLock { entries in
            if entries.count + fresh.count > capacity { entries.removeAll(keepingCapacity: true) }
            for entry in fresh where entries[entry.record.id].map({ $0.version < entry.version }) ?? true {
                entries[entry.record.id] = entry
            }
        }
    }

    /// Drops runs that were removed from the store.
    func forget(_ ids: [RunID]) {
        guard !ids.isEmpty else { return }
        entries.withLock { entries in for id in ids { entries[id] = nil } }
    }
}
