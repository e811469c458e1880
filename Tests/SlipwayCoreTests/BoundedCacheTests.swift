import SlipwayCore
import Testing

@Suite(.tags(.small)) struct BoundedCacheTests {
    @Test func aStampedEntryIsFoundOnlyAtItsStamp() {
        let cache = BoundedCache<Int, Stamped<Int64, String>>(capacity: 10)
        cache.keep([(1, Stamped("one at 3", at: 3)), (2, Stamped("two at 5", at: 5))])
        let found = cache.values(for: [1, 2, 3], at: [Int64(3), 6, 1])
        #expect(found.map { $0?.value } == ["one at 3", nil, nil])
    }

    @Test func aKeptValueReplacesTheHeldOneOnlyWhereAllowed() {
        let cache = BoundedCache<Int, Stamped<Int64, String>>(capacity: 10)
        cache.keep([(1, Stamped("newer", at: 4))])
        cache.keep([(1, Stamped("older", at: 2))]) { held, new in held.stamp < new.stamp }
        #expect(cache.values(for: [1]).first??.value == "newer")
    }

    @Test func pastItsCapacityTheCacheStartsAgain() {
        let cache = BoundedCache<Int, Stamped<Int64, String>>(capacity: 2)
        cache.keep([(1, Stamped("a", at: 1)), (2, Stamped("b", at: 1))])
        cache.keep([(3, Stamped("c", at: 1))])
        #expect(cache.values(for: [1, 2, 3]).map { $0?.value } == [nil, nil, "c"])
    }
}
