import Foundation
import Logging
import SlipwayAPI
import SlipwayCore
import State
import Synchronization

/// A run's log on its way to the state database. Lines are queued from any thread and
/// written by one task in batches, each batch one transaction: a batch goes once it holds
/// `batchBytes`, once its first line has waited `linger`, and at once when a stage ends
/// (`flush`) or the run does (`close`). Consecutive lines of one stage share a chunk of up to
/// `chunkBytes`, so 400,000 lines are a few hundred rows and commits instead of 400,000.
///
/// Output queued past `highWater` bytes makes its producer (a build's or deploy's thread)
/// wait for the writer: a build printing faster than the database takes it slows down
/// instead of filling memory. A crash loses at most what was queued and not yet written;
/// offsets stay contiguous, since each transaction computes them from what is stored.
///
/// Output past the pipeline's log limit is cut by the store with a marker line; from then
/// on it is only counted, and `close` writes how much was left out.
final class RunLog: Sendable {
    struct Tuning: Sendable {
        var linger: Duration = .milliseconds(50)
        var batchBytes = 256 << 10
        var chunkBytes = 64 << 10
        var highWater = 8 << 20
        /// How long a batch the database refuses is tried again before it is given up.
        var retryFor: Duration = .seconds(120)
    }

    private struct State {
        var pending: [LogPiece] = []
        var bytes = 0
        /// Lines queued so far, and how many of them are written: what a flush waits for.
        var queued = 0
        var written = 0
        /// A flush or close asked for the batch to go now.
        var urgent = false
        var closed = false
        /// A batch was refused for the lease it was written under.
        var fencedOff = false
        /// The log was cut at its limit: output is counted, not queued.
        var cut = false
        var droppedBytes: Int64 = 0
        var droppedLines = 0
        var writer: Task<Void, Never>?
        var wake: CheckedContinuation<Void, Never>?
        var flushes: [(upTo: Int, waiter: CheckedContinuation<Void, Never>)] = []
        var blocked: [DispatchSemaphore] = []

        mutating func takeWake() -> CheckedContinuation<Void, Never>? {
            defer { wake = nil }
            return wake
        }
    }

    let run: RunID
    /// Bytes of output the stored log holds at most (nil: no limit).
    let limit: Int64?
    /// A worker's lease on the job that writes this log: batches are stored only while it
    /// holds; the first refused one calls `fenced`, and nothing more is written.
    let fence: JobLease?
    private let fenced: @Sendable (SlipwayError) -> Void
    private let store: StateStore
    private let hub: EventHub
    private let logger: Logger
    private let tuning: Tuning
    private let state = Mutex(State())

    init(run: RunID, limit: Int64?, store: StateStore, hub: EventHub, logger: Logger = Logger(label: "slipway.pipeline"),
         tuning: Tuning = Tuning(), fence: JobLease? = nil, fenced: @escaping @Sendable (SlipwayError) -> Void = { _ in }) {
        self.run = run
        self.limit = limit
        self.fence = fence
        self.fenced = fenced
        self.store = store
        self.hub = hub
        self.logger = logger
        self.tuning = tuning
    }

    /// Slipway's own line about the run: never waits, and is kept past the limit.
    func note(_ stage: String, _ text: String) {
        enqueue(stage, text, limited: false)
    }

    /// A line of a stage's output. Waits while too much is queued, so call it from a thread
    /// that may block (a build's or deploy's), never from Swift's cooperative pool.
    func output(_ stage: String, _ line: String) {
        enqueue(stage, line, limited: true)
        let full = state.withLock { s -> DispatchSemaphore? in
            guard s.bytes > tuning.highWater, !s.closed else { return nil }
            let semaphore = DispatchSemaphore(value: 0)
            s.blocked.append(semaphore)
            return semaphore
        }
        full?.wait()
    }

    /// Returns once every line queued before the call is stored.
    func flush() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let wake = state.withLock { s -> (CheckedContinuation<Void, Never>?, done: Bool) in
                guard s.written < s.queued, s.writer != nil else { return (nil, true) }
                s.flushes.append((s.queued, continuation))
                s.urgent = true
                return (s.takeWake(), false)
            }
            wake.0?.resume()
            if wake.done { continuation.resume() }
        }
    }

    /// Stores what is queued, then, if output was left out at the limit, a line saying how
    /// much; returns when all of it is stored. Lines queued later are ignored.
    func close() async {
        let (writer, wake) = state.withLock { s in
            s.closed = true
            s.urgent = true
            return (s.writer, s.takeWake())
        }
        wake?.resume()
        await writer?.value
        let dropped = state.withLock { ($0.droppedLines, $0.droppedBytes) }
        if dropped.0 > 0 || dropped.1 > 0 {
            await write([LogPiece(stage: "run", text: "[slipway] log truncated: \(dropped.0) lines (\(StateStore.byteSize(dropped.1))) "
                                  + "of output past the limit were not stored\n", limited: false)])
        }
    }

    private func enqueue(_ stage: String, _ text: String, limited: Bool) {
        let line = text.hasSuffix("\n") ? text : text + "\n"
        let size = line.utf8.count
        let wake = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard !s.closed else { return nil }
            if limited && s.cut {
                s.droppedBytes += Int64(size)
                s.droppedLines += line.utf8.reduce(0) { $1 == 10 ? $0 + 1 : $0 }
                return nil
            }
            let wasEmpty = s.pending.isEmpty
            let last = s.pending.count - 1
            if last >= 0, s.pending[last].stage == stage, s.pending[last].limited == limited,
               s.pending[last].text.utf8.count + size <= tuning.chunkBytes {
                s.pending[last].text += line
            } else {
                s.pending.append(LogPiece(stage: stage, text: line, limited: limited))
            }
            let before = s.bytes
            s.bytes += size
            s.queued += 1
            if s.writer == nil {
                s.writer = Task { await self.writeBatches() }
                return nil
            }
            return wasEmpty || (before < tuning.batchBytes && s.bytes >= tuning.batchBytes) ? s.takeWake() : nil
        }
        wake?.resume()
    }

    /// The writer: waits for lines, lingers for more unless a batch is due, stores the batch;
    /// ends once closed and everything is stored.
    private func writeBatches() async {
        while true {
            await wait(until: nil) { !$0.pending.isEmpty || $0.closed }
            let due = ContinuousClock.now + tuning.linger
            await wait(until: due) { $0.urgent || $0.closed || $0.bytes >= tuning.batchBytes }
            let (batch, upTo, blocked, closed) = state.withLock { s in
                defer {
                    s.pending = []
                    s.bytes = 0
                    s.urgent = false
                    s.blocked = []
                }
                return (s.pending, s.queued, s.blocked, s.closed)
            }
            for semaphore in blocked { semaphore.signal() }
            if !batch.isEmpty { await write(batch) }
            let flushed = state.withLock { s in
                s.written = upTo
                let ready = s.flushes.filter { $0.upTo <= upTo }
                s.flushes.removeAll { $0.upTo <= upTo }
                return ready
            }
            for flush in flushed { flush.waiter.resume() }
            if closed { break }
        }
        let (flushes, blocked) = state.withLock { s in
            defer { s.flushes = []; s.blocked = [] }
            return (s.flushes, s.blocked)
        }
        for flush in flushes { flush.waiter.resume() }
        for semaphore in blocked { semaphore.signal() }
    }

    /// Returns once `ready` holds or `deadline` passes (when given), or at a wake-up.
    private func wait(until deadline: ContinuousClock.Instant?, _ ready: (borrowing State) -> Bool) async {
        while !state.withLock({ ready($0) }) {
            if let deadline, ContinuousClock.now >= deadline { return }
            // The timer wakes the wait at the deadline; the deadline is checked again while
            // registering, so a timer that fires before the wait is registered is not lost.
            let timer = deadline.map { deadline in
                Task {
                    guard (try? await Task.sleep(until: deadline)) != nil else { return }
                    self.wakeUp()
                }
            }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if ready(s) || deadline.map({ ContinuousClock.now >= $0 }) ?? false { return true }
                    s.wake = continuation
                    return false
                }
                if now { continuation.resume() }
            }
            timer?.cancel()
        }
    }

    private func wakeUp() {
        state.withLock { $0.takeWake() }?.resume()
    }

    /// Stores a batch. A database that is away (restarted, cut off) is tried again, the pause
    /// doubling up to 4 s, for `tuning.retryFor`; meanwhile the producers wait at the high
    /// water mark, so the lines are late rather than lost.
    private func write(_ pieces: [LogPiece]) async {
        let deadline = ContinuousClock.now + tuning.retryFor
        var pause = Duration.milliseconds(250)
        while true {
            do {
                try await store(pieces)
                return
            } catch let error as SlipwayError where error.cause is LeaseLost {
                // Fenced off: nothing more is queued or written.
                let first = state.withLock { s in
                    defer { (s.fencedOff, s.closed) = (true, true) }
                    return !s.fencedOff
                }
                if first { fenced(error) }
                return
            } catch {
                let bytes = pieces.reduce(0) { $0 + $1.text.utf8.count }
                guard ContinuousClock.now + pause < deadline else {
                    logger.error("cannot append \(bytes) bytes to the log of run \(run), given up after \(tuning.retryFor.spoken): \(error)")
                    return
                }
                logger.warning("cannot append \(bytes) bytes to the log of run \(run), trying again in \(pause.spoken): \(error)")
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(4))
            }
        }
    }

    private func store(_ pieces: [LogPiece]) async throws {
        let appended = try await store.appendLog(run: run, pieces, limit: limit, fence: fence)
        state.withLock { s in
            s.droppedBytes += appended.droppedBytes
            s.droppedLines += appended.droppedLines
            if appended.cut { s.cut = true }
        }
        for chunk in appended.chunks { hub.send(chunk) }
    }
}
