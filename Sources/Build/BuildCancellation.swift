import Foundation
import Sandbox
import Synchronization

/// Stops a running build from another thread (a superseded pipeline run, Ctrl-C): the
/// sandbox's whole process tree is terminated and the build ends STOPPED.
public final class BuildCancellation: Sendable {
    private struct State {
        var cancelled = false
        var sandbox: RunningSandbox?
    }

    private let state = Mutex(State())

    public init() {}

    /// Stops the build now, or as soon as its sandbox starts.
    public func cancel() {
        let sandbox = state.withLock { s -> RunningSandbox? in
            s.cancelled = true
            return s.sandbox
        }
        sandbox?.cancel()
    }

    public var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// Registers the build's sandbox; cancels it at once when the build was already cancelled.
    func attach(_ sandbox: RunningSandbox) {
        let cancelled = state.withLock { s -> Bool in
            s.sandbox = sandbox
            return s.cancelled
        }
        if cancelled { sandbox.cancel() }
    }
}
