import SlipwayAPI
import SlipwayCore

/// Runs as last read, each stamped with the change stamp (`version`) it was read at.
///
/// A run's `version` column moves on every write to the run or its stages, by any process
/// (triggers in the schema, migration v2), so an unchanged stamp means an unchanged record.
/// Decoding 1,000 runs and their 4,000 stages into records was most of the cost of a listing;
/// with this a listing reads ids and stamps and decodes only the runs whose stamp moved.
final class RunRecordCache: Sendable {
    typealias Entry = Stamped<Int64, RunRecord>

    private let entries = BoundedCache<RunID, Entry>(capacity: 20_000)

    /// The cached entry of each run, or nil where the cache has none at that stamp.
    func records(for stamps: [(id: RunID, version: Int64)]) -> [Entry?] {
        entries.values(for: stamps.map(\.id), at: stamps.map(\.version))
    }

    /// Keeps records read at the given stamps. A reader holding an older snapshot does not
    /// replace a newer entry.
    func keep(_ fresh: [Entry]) {
        entries.keep(fresh.map { ($0.value.id, $0) }) { held, new in held.stamp < new.stamp }
    }
}
