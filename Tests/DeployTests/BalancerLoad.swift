import Foundation
import SlipwayTestSupport
import Synchronization

/// Clients that keep requesting `/` through the fleet's balancer, each on a thread of its own
/// (the shared pools may be saturated by other tests), recording every response: the phase
/// (switch) it began and ended in, the host that served it and the release in its body.
final class BalancerLoad: Sendable {
    struct Sample: Sendable {
        var client: Int
        var began: Int
        var ended: Int
        var host: String
        var version: String
    }

    private let phase = Atomic<Int>(0)
    private let running = Atomic<Bool>(true)
    private let ok = Atomic<Int>(0), bad = Atomic<Int>(0), errors = Atomic<Int>(0), mixed = Atomic<Int>(0)
    private let samples = Mutex<[Sample]>([])
    private let group = DispatchGroup()

    /// `versions`: each release's exact body → its name.
    init(fleet: Fleet, versions: [String: String], clients: Int) {
        for client in 0..<clients {
            group.enter()
            Thread.detachNewThread { [self] in
                defer { group.leave() }
                while running.load(ordering: .relaxed) {
                    let began = phase.load(ordering: .sequentiallyConsistent)
                    guard let response = fleet.get() else { errors.add(1, ordering: .relaxed); continue }
                    let ended = phase.load(ordering: .sequentiallyConsistent)
                    guard (200..<300).contains(response.status) else { bad.add(1, ordering: .relaxed); continue }
                    guard let version = versions[String(decoding: response.body, as: UTF8.self)] else { mixed.add(1, ordering: .relaxed); continue }
                    ok.add(1, ordering: .relaxed)
                    samples.withLock { $0.append(Sample(client: client, began: began, ended: ended, host: response.servedBy ?? "?", version: version)) }
                    // A steady load, not a flood: the deploys share the machine's two cores with it.
                    usleep(2000)
                }
            }
        }
    }

    private var total: Int {
        ok.load(ordering: .relaxed) + bad.load(ordering: .relaxed) + errors.load(ordering: .relaxed) + mixed.load(ordering: .relaxed)
    }

    /// Waits until `count` more responses came back (at most 10 s), so every switch happens
    /// under load.
    func awaitResponses(_ count: Int) {
        let target = total + count
        let deadline = Date().addingTimeInterval(10)
        while total < target, Date() < deadline { usleep(1000) }
    }

    /// The next switch begins.
    func beginPhase() { phase.add(1, ordering: .sequentiallyConsistent) }

    /// Stops the clients; the counts.
    func stop() -> (ok: Int, bad: Int, errors: Int, mixed: Int) {
        running.store(false, ordering: .relaxed)
        group.wait()
        return (ok.load(ordering: .relaxed), bad.load(ordering: .relaxed), errors.load(ordering: .relaxed), mixed.load(ordering: .relaxed))
    }

    /// Responses that break "old, then new, never back" within a switch: phase `p` (from 1)
    /// moves every host from `expected[p-1].old` to `.new`, so each client sees each host
    /// answer the old release some times, then the new one, and nothing else. Responses that
    /// span two phases are left out; before the first phase every host serves the first old.
    func flaps(expected: [(old: String, new: String)]) -> [String] {
        var found: [String] = []
        var seenNew: [String: Bool] = [:]
        for sample in samples.withLock({ $0 }) where sample.began == sample.ended {
            let p = sample.began
            let (old, new) = p == 0 ? (expected.first?.old ?? "", expected.first?.old ?? "") : expected[p - 1]
            let key = "\(sample.client) \(sample.host) \(p)"
            if sample.version == new {
                seenNew[key] = true
            } else if sample.version != old || seenNew[key] == true {
                found.append("client \(sample.client) phase \(p): \(sample.host) served \(sample.version) (switching \(old) → \(new))")
            }
        }
        return found
    }
}
