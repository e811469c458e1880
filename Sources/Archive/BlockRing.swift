import Dispatch
import Foundation
import SlipwayCore
import Synchronization

/// Blocks of one byte stream shared by a producer and a fixed number of consumers, each of
/// which sees every block in order: `tar | tee >(sha256sum) | zstd` within one process, where
/// the producer writes a block into a slot once and every consumer reads that same memory.
/// A slot goes back to the producer when the last consumer lets go, so the ring is bounded:
/// a slow consumer holds the producer back instead of letting memory grow. The first error
/// of any party stops them all; each finds out at its next wait.
final class BlockRing: Sendable {
    let slotCount: Int
    let slotSize: Int
    let consumers: Int
    // Shared by threads, but a slot is written only between the producer's `claim` and
    // `publish`, and read only between a consumer's `take` and `release`: the semaphores
    // order every access.
    nonisolated(unsafe) private let memory: UnsafeMutableRawBufferPointer
    /// Per slot: the bytes published in it, and the consumers that have not released it.
    private let slots: Mutex<[(length: Int, pending: Int)]>
    /// `free` counts slots the producer may fill; `filled[c]` the blocks consumer `c` may take.
    private let free = DispatchSemaphore(value: 0)
    private let filled: [DispatchSemaphore]
    private let stopped = Atomic<Bool>(false)
    private let failure = Mutex<(any Error)?>(nil)

    init(slots: Int = 8, slotSize: Int = 1 << 20, consumers: Int) {
        slotCount = slots
        self.slotSize = slotSize
        self.consumers = consumers
        memory = .allocate(byteCount: slots * slotSize, alignment: 64)
        self.slots = Mutex(Array(repeating: (0, 0), count: slots))
        filled = (0..<consumers).map { _ in DispatchSemaphore(value: 0) }
        // Counted up rather than created at `slots`: libdispatch refuses to free a semaphore
        // left below its initial value, as this one may be.
        for _ in 0..<slots { free.signal() }
    }

    deinit { memory.deallocate() }

    private func slot(_ index: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: memory[index * slotSize ..< (index + 1) * slotSize])
    }

    // MARK: - The producer

    /// Waits until slot `index` (the slots are used in order) is free; nil once the ring stopped.
    func claim(_ index: Int) -> UnsafeMutableRawBufferPointer? {
        // Checked first too: `stop` wakes one wait, later calls must not wait at all
        // (libarchive writes its end blocks when it is freed after a failure).
        if isStopped { return nil }
        free.wait()
        return isStopped ? nil : slot(index)
    }

    /// Hands slot `index` with its first `length` bytes to every consumer; 0 ends the stream.
    func publish(_ index: Int, length: Int) {
        slots.withLock { $0[index] = (length, consumers) }
        for semaphore in filled { semaphore.signal() }
    }

    // MARK: - The consumers

    /// Consumer `consumer`'s next block, in slot `index` (empty at the end of the stream);
    /// nil once the ring stopped.
    func take(_ consumer: Int, _ index: Int) -> UnsafeRawBufferPointer? {
        if isStopped { return nil }
        filled[consumer].wait()
        if isStopped { return nil }
        let length = slots.withLock { $0[index].length }
        return UnsafeRawBufferPointer(rebasing: slot(index)[0..<length])
    }

    /// One consumer is done with slot `index`; the last one gives it back to the producer.
    func release(_ index: Int) {
        let last = slots.withLock { slots in
            slots[index].pending -= 1
            return slots[index].pending == 0
        }
        if last { free.signal() }
    }

    /// Feeds every block to `body` until the end of the stream (true) or until the ring
    /// stopped (false); an error `body` throws stops the ring.
    func consume(_ consumer: Int, _ body: (UnsafeRawBufferPointer) throws -> Void) -> Bool {
        var index = 0
        while let block = take(consumer, index) {
            if block.isEmpty { return true }
            do {
                try body(block)
            } catch {
                stop(error)
                return false
            }
            release(index)
            index = (index + 1) % slotCount
        }
        return false
    }

    // MARK: - Stopping

    var isStopped: Bool { stopped.load(ordering: .acquiring) }

    /// The error that stopped the ring: the first one any party reported.
    var firstError: (any Error)? { failure.withLock { $0 } }

    /// Stops every party: waits return at once and report the stop. Only the first error is kept.
    func stop(_ error: any Error) {
        failure.withLock { if $0 == nil { $0 = error } }
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        free.signal()
        for semaphore in filled { semaphore.signal() }
    }
}

/// What the producer finds when a consumer stopped the ring: the consumer's error is the one
/// to report.
struct RingStopped: Error {}

/// A thread that runs one stage of a pipeline; `join` waits for it to end.
final class StageThread: Sendable {
    private let done: DispatchSemaphore

    init(_ body: @escaping @Sendable () -> Void) {
        let done = DispatchSemaphore(value: 0)
        self.done = done
        Thread.detachNewThread {
            body()
            done.signal()
        }
    }

    func join() {
        done.wait()
    }
}

/// What a stage thread produced, read after `join`.
final class StageResult<Value: Sendable>: Sendable {
    private let value = Mutex<Value?>(nil)

    func set(_ new: Value) { value.withLock { $0 = new } }
    func get() -> Value? { value.withLock { $0 } }
}

/// A value handed whole to another thread, which alone uses it until it is handed back (the
/// caller joins the thread before touching it again).
struct Handover<Value>: @unchecked Sendable {
    let value: Value
}
