import Foundation
import SlipwayAPI
import Synchronization

/// Fans run events out to every subscriber (the CLI display, log followers, the service's
/// metrics and live streams); a subscriber that stops listening is dropped.
///
/// Events come from two sources, this process's runs as they change and the store watcher
/// (which sees every process's writes, this one's included), so the hub passes each change on
/// once: a run's record only when its change stamp is newer than the last one sent, a log
/// chunk only when it starts at or after the end of the last one sent.
final class EventHub: Sendable {
    private struct State {
        var subscribers: [UUID: AsyncStream<RunEvent>.Continuation] = [:]
        var versions: [RunID: Int64] = [:]
        var logEnds: [RunID: Int64] = [:]
    }

    private let state = Mutex(State())
    /// Past this many runs remembered, the oldest half is forgotten.
    private let capacity = 10_000

    func subscribe() -> AsyncStream<RunEvent> {
        let (stream, continuation) = AsyncStream<RunEvent>.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        let id = UUID()
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        state.withLock { $0.subscribers[id] = continuation }
        return stream
    }

    /// A run's new record at change stamp `version`.
    func send(_ record: RunRecord, version: Int64) {
        state.withLock { state in
            guard state.versions[record.id].map({ $0 < version }) ?? true else { return }
            state.versions[record.id] = version
            trim(&state)
            for continuation in state.subscribers.values { continuation.yield(.run(record)) }
        }
    }

    func send(_ chunk: LogChunk) {
        state.withLock { state in
            guard chunk.offset >= state.logEnds[chunk.run] ?? 0 else { return }
            state.logEnds[chunk.run] = chunk.end
            for continuation in state.subscribers.values { continuation.yield(.log(chunk)) }
        }
    }

    private func trim(_ state: inout State) {
        guard state.versions.count > capacity else { return }
        let keep = Set(state.versions.keys.sorted().suffix(capacity / 2))
        state.versions = state.versions.filter { keep.contains($0.key) }
        state.logEnds = state.logEnds.filter { keep.contains($0.key) }
    }
}
