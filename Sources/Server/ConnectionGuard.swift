import NIOCore
import NIOHTTPTypes

/// One per connection, after the HTTP decoder: keeps `ConnectionTimer` up to date with the
/// parts that pass, closes the connection when its deadline passes, and tells the tracker
/// whether the connection has a request under way. A small handler placed first in the
/// pipeline (`InboundBytes`) reports raw bytes, so a request head still arriving is told
/// apart from an idle connection.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let tracker: ConnectionTracker
    private var timer: ConnectionTimer
    private var context: ChannelHandlerContext?
    private var scheduled: (task: Scheduled<Void>, at: ContinuousClock.Instant)?
    private var countedIdle = false
    private var stopped = false

    init(limits: ConnectionLimits, tracker: ConnectionTracker) {
        self.tracker = tracker
        timer = ConnectionTimer(limits: limits, now: .now)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        try? context.pipeline.syncOperations.addHandler(InboundBytes(owner: self), position: .first)
        update()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stop(context.channel)
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        stop(context.channel)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: timer.headRead(at: .now)
        case .body: timer.bodyRead(at: .now)
        case .end: timer.requestEnded(at: .now)
        }
        update()
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            timer.responseEnded(at: .now)
            update()
        }
        context.write(data, promise: promise)
    }

    fileprivate func bytesArrived() {
        timer.bytesArrived(at: .now)
        update()
    }

    /// Brings the tracker and the scheduled check in line with the timer.
    private func update() {
        guard let context, !stopped else { return }
        if timer.hasRequestUnderWay, countedIdle {
            tracker.busy(context.channel)
            countedIdle = false
        } else if !timer.hasRequestUnderWay, !countedIdle {
            tracker.idle(context.channel)
            countedIdle = true
        }
        guard let deadline = timer.deadline else { return }
        if let scheduled {
            guard deadline < scheduled.at else { return }  // the check already set is early enough
            scheduled.task.cancel()
        }
        schedule(deadline, context)
    }

    private func schedule(_ deadline: ContinuousClock.Instant, _ context: ChannelHandlerContext) {
        let delay = max(.zero, deadline - .now)
        let (seconds, attoseconds) = delay.components
        let task = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)) {
            self.check()
        }
        scheduled = (task, deadline)
    }

    /// Closes the connection when its deadline has passed; otherwise checks again then.
    private func check() {
        scheduled = nil
        guard let context, let deadline = timer.deadline else { return }
        if deadline <= .now {
            tracker.noteTimeout()
            context.close(promise: nil)
        } else {
            schedule(deadline, context)
        }
    }

    private func stop(_ channel: any Channel) {
        guard !stopped else { return }
        stopped = true
        scheduled?.task.cancel()
        scheduled = nil
        countedIdle = false
        tracker.gone(channel)
    }
}

/// First in a connection's pipeline: reports that bytes arrived (the start of a request head,
/// a TLS handshake) and passes them on untouched.
final class InboundBytes: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private weak var owner: ConnectionGuard?

    init(owner: ConnectionGuard) {
        self.owner = owner
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        owner?.bytesArrived()
        context.fireChannelRead(data)
    }
}
