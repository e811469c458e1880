import Synchronization

/// A dictionary shared between threads that forgets everything once it holds `capacity`
/// entries, so memory stays bounded without bookkeeping per lookup. Values are classes: a
/// lookup under the lock retains one reference instead of copying a large value (for a
/// 1,000-run listing, copying records was a third of the CPU).
///
/// Inlinable, so each module that keeps a cache gets code specialised for its key and value:
/// called generically, a 1,000-run listing spent half its CPU looking up type metadata and
/// copying records through value witnesses.
public final class BoundedCache<Key: Hashable & Sendable, Value: AnyObject & Sendable>: Sendable {
    @usableFromInline let entries = Mutex<[Key: Value]>([:])
    @usableFromInline let capacity: Int

    @inlinable public init(capacity: Int) {
        self.capacity = capacity
    }

    /// The value held for each key, in order.
    @inlinable public func values(for keys: [Key]) -> [Value?] {
        entries.withLock { entries in keys.map { entries[$0] } }
    }

    /// Keeps `fresh`; where a value is already held, only if `replaces(held, new)`.
    @inlinable public func keep(_ fresh: [(Key, Value)], replaces: (Value, Value) -> Bool = { _, _ in true }) {
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

    @inlinable public init(_ value: Value, at stamp: Stamp) {
        self.stamp = stamp
        self.value = value
    }
}

extension BoundedCache {
    /// The entry held for each key whose stamp is still the one given, in order.
    @inlinable public func values<Stamp, Held>(for keys: [Key], at stamps: [Stamp]) -> [Value?] where Value == Stamped<Stamp, Held> {
        // By index, not zip: zip would copy each stamp out of the array (for a run record, a
        // retain and a release per field).
        let held = values(for: keys)
        return held.indices.map { i in
            guard let entry = held[i], entry.stamp == stamps[i] else { return nil }
            return entry
        }
    }
}
