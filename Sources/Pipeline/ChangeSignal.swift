import Foundation
import Synchronization

/// Wakes whoever waits for a kind of change (an approval recorded by any process).
final class ChangeSignal: Sendable {
    private let waiters = Mutex<[UUID: AsyncStream<Void>.Continuation]>([:])

    /// A stream that yields once per signal from now on.
    func changes() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = UUID()
        continuation.onTermination = { [weak self] _ in _ = self?.waiters.withLock { $0.removeValue(forKey: id) } }
        waiters.withLock { $0[id] = continuation }
        return stream
    }

    func signal() {
        for continuation in waiters.withLock({ Array($0.values) }) { continuation.yield() }
    }
}
