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

/// A cached value with the stamp it was made at (a change counter, or the input it was made
/// from): it stands for the current one only while the stamp is unchanged.
public final class Stamped<Stamp: Equatable & Sendable, Value: Sendable>: Sendable {
    public let stamp: Stamp
    public let value: Value

    public init(_ value: Value, at stamp: Stamp) {
        self.stamp = stamp
        self.value = value
    }
}

extension BoundedCache {
    /// The entry held for each key whose stamp is still the one given, in order.
    public func values<Stamp, Held>(for keys: [Key], at stamps: [Stamp]) -> [Value?] where Value == Stamped<Stamp, Held> {
        zip(values(for: keys), stamps).map { held, stamp in held?.stamp == stamp ? held : nil }
    }
}
