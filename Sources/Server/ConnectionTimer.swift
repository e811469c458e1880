/// When a connection has run out of time, as a pure state machine over the HTTP parts that
/// pass and the bytes that arrive (`ConnectionGuard` feeds it; tests drive it with instants).
///
/// - A new connection must deliver a complete request head within `headerTimeout` of its
///   start, however slowly its bytes trickle in (slowloris).
/// - A kept-alive connection may then wait `idleTimeout` for its next request; once that
///   request's first byte arrives, its head must be complete within `headerTimeout`.
/// - A request body must make progress every `bodyTimeout`.
/// - While a response is being written (a live log stream) there is no deadline.
struct ConnectionTimer {
    typealias Instant = ContinuousClock.Instant

    let limits: ConnectionLimits
    /// Request heads read whose responses have not ended.
    private(set) var openRequests = 0
    /// A head was read and its body has not ended.
    private(set) var readingBody = false
    private var servedOne = false
    /// The first byte of a kept-alive connection's next request.
    private var headStarted: Instant?
    /// The connection's start, the last response's end, or the body's last progress.
    private var mark: Instant

    init(limits: ConnectionLimits, now: Instant) {
        self.limits = limits
        mark = now
    }

    /// Whether a request is being read or answered: such a connection is not closed for room.
    var hasRequestUnderWay: Bool { openRequests > 0 || readingBody }

    mutating func bytesArrived(at now: Instant) {
        if readingBody {
            mark = now
        } else if openRequests == 0, servedOne, headStarted == nil {
            headStarted = now
        }
    }

    mutating func headRead(at now: Instant) {
        openRequests += 1
        readingBody = true
        headStarted = nil
        mark = now
    }

    mutating func bodyRead(at now: Instant) {
        mark = now
    }

    mutating func requestEnded(at now: Instant) {
        readingBody = false
        if openRequests == 0 { mark = now }
    }

    mutating func responseEnded(at now: Instant) {
        openRequests = max(0, openRequests - 1)
        guard openRequests == 0 else { return }
        servedOne = true
        headStarted = nil
        mark = now
    }

    /// When the connection is to be closed; nil while a response is being written.
    var deadline: Instant? {
        if readingBody { return mark + limits.bodyTimeout }
        if openRequests > 0 { return nil }
        if !servedOne { return mark + limits.headerTimeout }
        if let headStarted { return headStarted + limits.headerTimeout }
        return mark + limits.idleTimeout
    }
}
