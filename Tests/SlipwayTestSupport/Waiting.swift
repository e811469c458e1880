import Foundation

/// Polls `condition` until it holds; throws `TestFailure` naming `what` if it still does not
/// after `timeout`. For state another thread or process reaches in its own time.
public func waitUntil(_ what: @autoclosure () -> String, timeout: Duration = .seconds(30),
                      every interval: Duration = .milliseconds(20),
                      _ condition: () async throws -> Bool) async throws {
    _ = try await eventually(what(), timeout: timeout, every: interval) { try await condition() ? true : nil }
}

/// Polls `body` until it returns a value and returns it; throws `TestFailure` naming `what`
/// if it returned nil until `timeout`.
public func eventually<T>(_ what: @autoclosure () -> String, timeout: Duration = .seconds(30),
                          every interval: Duration = .milliseconds(20),
                          _ body: () async throws -> T?) async throws -> T {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while true {
        if let value = try await body() { return value }
        guard clock.now < deadline else { throw TestFailure("timed out after \(timeout) waiting for \(what())") }
        try await Task.sleep(for: interval)
    }
}

/// `waitUntil` for synchronous tests: sleeps the calling thread between polls, so never call
/// it from async code (it would hold one of the few threads of the cooperative pool).
public func blockUntil(_ what: @autoclosure () -> String, timeout: Duration = .seconds(30),
                      every interval: Duration = .milliseconds(20), _ condition: () throws -> Bool) throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while try !condition() {
        guard clock.now < deadline else { throw TestFailure("timed out after \(timeout) waiting for \(what())") }
        Thread.sleep(forTimeInterval: interval.seconds)
    }
}

/// Runs blocking work (sockets, waits on processes) on a thread of its own, so it never holds
/// one of the few threads of Swift's cooperative pool, and is never held up by tests that do.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
