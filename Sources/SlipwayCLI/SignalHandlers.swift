import Foundation

/// SIGINT and SIGTERM handled by this process instead of ending it: `handler` runs on a
/// global queue for each one that arrives.
///
/// The default action is replaced by SIG_IGN first (or a signal would end the process before
/// the handler sees it), and a dispatch source registers with the kernel asynchronously, so a
/// signal arriving in between would be lost. `install` returns only once every source is
/// registered: a signal from then on always reaches `handler`. Cancel the returned sources to
/// stop handling.
enum SignalHandlers {
    static func install(_ signals: [Int32] = [SIGINT, SIGTERM],
                        _ handler: @escaping @Sendable (Int32) -> Void) -> [DispatchSourceSignal] {
        let registered = DispatchSemaphore(value: 0)
        let sources = signals.map { signo -> DispatchSourceSignal in
            signal(signo, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signo, queue: .global())
            source.setEventHandler { handler(signo) }
            source.setRegistrationHandler { registered.signal() }
            source.resume()
            return source
        }
        for _ in sources { _ = registered.wait(timeout: .now() + 5) }
        return sources
    }
}
