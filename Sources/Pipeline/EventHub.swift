import Foundation
import State
import Synchronization

/// Fans run events out to every subscriber (the CLI display, the log follower, the service's
/// live streams); a subscriber that stops listening is dropped.
final class EventHub: Sendable {
    private let subscribers = Mutex<[UUID: AsyncStream<RunEvent>.Continuation]>([:])

    func subscribe() -> AsyncStream<RunEvent> {
        let (stream, continuation) = AsyncStream<RunEvent>.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        let id = UUID()
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        subscribers.withLock { $0[id] = continuation }
        return stream
    }

    func send(_ event: RunEvent) {
        for continuation in subscribers.withLock({ Array($0.values) }) { continuation.yield(event) }
    }
}
