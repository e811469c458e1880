import Synchronization

/// A dictionary shared between threads that forgets everything once it holds `capacity`
/// entries, so memory stays bounded without bookkeeping per lookup. Values are classes: a
/// lookup under the lock retains one reference instead of copying a large value (for a
/// 1,000-run listing, copying records was a third of the CPU).
public final class BoundedCache<Key: Hashable & Sendable, Value: AnyObject & Sendable>: Sendable {
    private let entries = Mutex<[Key: Value]>([:])
    private let capacity: Int

    public init(capacity: Int) {
        self.capacity = capacity
    }

    /// The value held for each key, in order.
    public func values(for keys: [Key]) -> [Value?] {
        entries.withLock { entries in keys.map { entries[$0] } }
    }

    /// Keeps `fresh`; where a value is already held, only if `replaces(held, new)`.
    public func keep(_ fresh: [(Key, Value)], replaces: (Value, Value) -> Bool = { _, _ in true }) {
        guard !fresh.isEmpty else { return }
        entries.withLock { entries in
            if entries.count + fresh.count > capacity { entries.removeAll(keepingCapacity: true) }
            for (key, value) in fresh where entries[key].map({ replaces($0, value) }) ?? true {
                entries[key] = value
            }
        }
    }
}
