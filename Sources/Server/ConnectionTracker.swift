import Foundation
import HummingbirdCore
import Logging
import NIOCore
import Synchronization

/// The service's open connections: how many there are, and which have no request under way,
/// longest idle first. Those are the ones closed to make room: at the connection cap for a
/// new connection, and when accept() runs out of file descriptors.
final class ConnectionTracker: Sendable {
    let limit: Int

    private struct State {
        var open = 0
        /// Connections without a request under way, each with the ticket it got when it
        /// became idle; `queue` holds the tickets in order (stale ones are skipped).
        var idle: [ObjectIdentifier: (channel: any Channel, ticket: Int)] = [:]
        var queue: [(id: ObjectIdentifier, ticket: Int)] = []
        var head = 0
        var nextTicket = 0
        /// Closed for room and not gone yet: no longer counted against the cap.
        var closing: Set<ObjectIdentifier> = []
        /// The accept gate said no and waits for a connection to close.
        var acceptWaiting = false
        var closedForRoom = 0
        var timedOut = 0
    }

    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = limit
    }

    func opened() { state.withLock { $0.open += 1 } }
    func closed() { state.withLock { $0.open -= 1 } }
    var openConnections: Int { state.withLock { $0.open } }

    /// The connection has no request under way (just opened, or its last response ended).
    /// When accepting waits at the cap, the longest-idle connection is closed now: the close
    /// is what lets the accept gate look again.
    func idle(_ channel: any Channel) {
        let makeRoom = state.withLock { state in
            let id = ObjectIdentifier(channel)
            state.nextTicket += 1
            state.idle[id] = (channel, state.nextTicket)
            state.queue.append((id, state.nextTicket))
            Self.compact(&state)
            return state.acceptWaiting && state.open - state.closing.count >= limit
        }
        if makeRoom { closeLongestIdle(1) }
    }

    /// The connection is reading a request or writing a response: it is not closed for room.
    func busy(_ channel: any Channel) {
        _ = state.withLock { $0.idle.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// The connection closed.
    func gone(_ channel: any Channel) {
        state.withLock { state in
            let id = ObjectIdentifier(channel)
            state.idle[id] = nil
            state.closing.remove(id)
        }
    }

    func noteTimeout() { state.withLock { $0.timedOut += 1 } }

    /// Whether to accept the next connections: yes below the cap; at it, yes when idle
    /// connections could be closed to make room, no (wait for one to close) when all are busy.
    /// Connections already closing for room do not count, so a burst of accepts (NIO takes
    /// a few per read) cannot push the count ever higher while earlier closes complete.
    func admitsNewConnection() -> Bool {
        let over = state.withLock { $0.open - $0.closing.count } - limit
        // Connections just accepted may not have said they are idle yet: then the gate waits,
        // and the first one that does is closed for room (`idle`).
        let admits = over < 0 || closeLongestIdle(over + 1) > 0
        state.withLock { $0.acceptWaiting = !admits }
        return admits
    }

    /// Closes up to `count` connections without a request under way, longest idle first;
    /// returns how many.
    @discardableResult
    func closeLongestIdle(_ count: Int) -> Int {
        let victims: [any Channel] = state.withLock { state in
            var victims: [any Channel] = []
            while victims.count < count, state.head < state.queue.count {
                let entry = state.queue[state.head]
                state.head += 1
                if let idle = state.idle[entry.id], idle.ticket == entry.ticket {
                    state.idle[entry.id] = nil
                    state.closing.insert(entry.id)
                    victims.append(idle.channel)
                }
            }
            state.closedForRoom += victims.count
            Self.compact(&state)
            return victims
        }
        for channel in victims { channel.close(promise: nil) }
        return victims.count
    }

    /// Drops consumed and stale queue entries once they outnumber the live ones, so a
    /// connection serving many requests does not grow the queue without bound.
    private static func compact(_ state: inout State) {
        let pending = state.queue.count - state.head
        guard pending > 2 * state.idle.count + 1024 else { return }
        let idle = state.idle
        state.queue = state.queue[state.head...].filter { idle[$0.id]?.ticket == $0.ticket }
        state.head = 0
    }

    /// Prometheus lines for `/metrics`.
    func exposition() -> String {
        let (open, room, timedOut) = state.withLock { ($0.open, $0.closedForRoom, $0.timedOut) }
        return """
            # HELP slipway_http_connections Open HTTP connections.
            # TYPE slipway_http_connections gauge
            slipway_http_connections \(open)
            # HELP slipway_http_connections_limit The connection cap.
            # TYPE slipway_http_connections_limit gauge
            slipway_http_connections_limit \(limit)
            # HELP slipway_http_connections_closed_total Connections the service closed: idle ones to make room, or ones that ran out of time.
            # TYPE slipway_http_connections_closed_total counter
            slipway_http_connections_closed_total{reason="room"} \(room)
            slipway_http_connections_closed_total{reason="timeout"} \(timedOut)

            """
    }
}

/// Hummingbird's accept gate, counting into the tracker.
struct ConnectionCap: AvailableConnectionsDelegate {
    let tracker: ConnectionTracker

    func connectionOpened() { tracker.opened() }
    func connectionClosed() { tracker.closed() }
    func isAcceptingNewConnections() -> Bool { tracker.admitsNewConnection() }
}

/// Sits first on the listening socket's pipeline. When accept() fails for want of file
/// descriptors (EMFILE, ENFILE), it closes idle connections so the next accept finds room;
/// SwiftNIO's own accept back-off then waits a second before trying again, and the service
/// keeps answering the connections it has. Said in the log at most every 10 seconds.
final class AcceptErrorWatch: ChannelInboundHandler {
    typealias InboundIn = NIOAny

    let tracker: ConnectionTracker
    let logger: Logger
    private var lastReport: NIODeadline?

    init(tracker: ConnectionTracker, logger: Logger) {
        self.tracker = tracker
        self.logger = logger
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? IOError, error.errnoCode == EMFILE || error.errnoCode == ENFILE {
            let closed = tracker.closeLongestIdle(32)
            let now = NIODeadline.now()
            if lastReport.map({ now - $0 >= .seconds(10) }) ?? true {
                lastReport = now
                logger.warning("""
                    accept: out of file descriptors (\(error.errnoCode == EMFILE ? "EMFILE: this process's limit" : "ENFILE: the system's")); \
                    closed \(closed) idle connection(s), accepting again in a second; \
                    \(tracker.openConnections) open, cap \(tracker.limit) (--max-connections, ulimit -n)
                    """)
            }
        }
        context.fireErrorCaught(error)
    }
}
