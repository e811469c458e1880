import CZstd
import Dispatch
import Foundation
import SlipwayCore
import Synchronization

/// Reads a blob on its own thread, hashes its bytes and, when it is zstd, decompresses it
/// there, handing the result to the tar reader on the caller's thread: `zstd -dc blob | tar -x`
/// within one process, decoding and hashing on one core, parsing and writing files on the
/// other. The blocks travel through a ring of buffers both threads share, so a byte is copied
/// once (read into the ring, or decoded into it) where a pipe would copy it twice more. Other
/// encodings pass through as stored and are decoded by libarchive on the reading side.
final class BlobPipe {
    /// Whether the thread decompresses (zstd) or passes the bytes through.
    let decodes: Bool
    private let ring: Ring
    /// The slot the reader holds: it stays valid until the next `next()` (libarchive's rule
    /// for the blocks its read callback returns).
    private var held: Int?
    private var nextSlot = 0

    /// The buffers and their hand-off: `free` counts slots the thread may fill, `filled`
    /// slots the reader may take, in order.
    private final class Ring: Sendable {
        static let slots = 8, size = 1 << 17
        nonisolated(unsafe) let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: slots * size, alignment: 64)
        let lengths = Mutex<[Int]>(Array(repeating: 0, count: slots))
        let free = DispatchSemaphore(value: 0), filled = DispatchSemaphore(value: 0)
        let abandoned = Atomic<Bool>(false)
        let outcome = Mutex<Result<(digest: Digest, bytes: Int64), SlipwayError>?>(nil)
        let done = DispatchSemaphore(value: 0)

        init() {
            // Counted up rather than created at `slots`: libdispatch refuses to free a
            // semaphore left below its initial value, as this one may be.
            for _ in 0..<Self.slots { free.signal() }
        }

        func slot(_ i: Int) -> UnsafeMutableRawBufferPointer {
            UnsafeMutableRawBufferPointer(rebasing: memory[i * Self.size ..< (i + 1) * Self.size])
        }

        deinit { memory.deallocate() }
    }

    /// Opens `path` and starts the thread.
    convenience init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SlipwayError.open(path) }
        self.init(fd: fd, source: path)
    }

    /// Starts the thread on `fd`, which this takes over.
    init(fd: Int32, source: String) {
        var magic: UInt32 = 0
        let n = pread(fd, &magic, 4, 0)
        let decodes = n == 4 && magic == ZSTD_MAGICNUMBER
        self.decodes = decodes
        let ring = Ring()
        self.ring = ring
        // The thread holds only the ring, never `self`, so a reader that stops early
        // (a refused entry) abandons the ring and the thread ends instead of waiting.
        Thread.detachNewThread {
            let filler = Filler(ring)
            let result: Result<(digest: Digest, bytes: Int64), SlipwayError>
            do {
                result = .success(try Self.pump(from: fd, into: filler, decode: decodes, source: source))
            } catch let error as SlipwayError {
                result = .failure(error)
            } catch {
                result = .failure(.wrapping(error, "read \(source)"))
            }
            Syscall.close(fd)
            ring.outcome.withLock { $0 = result }
            filler.end()
            ring.done.signal()
        }
    }

    deinit {
        ring.abandoned.store(true, ordering: .releasing)
        ring.free.signal()  // wakes the thread if it waits for a slot
        ring.done.wait()  // the thread never outlives the reader
    }

    /// The next block (empty at the end of the stream, where the thread's error, if any, is
    /// thrown); the previous block is given back to the thread.
    func next() throws -> UnsafeRawBufferPointer {
        if held != nil {
            held = nil
            ring.free.signal()
        }
        ring.filled.wait()
        let i = nextSlot
        let length = ring.lengths.withLock { $0[i] }
        if length == 0 {
            ring.filled.signal()  // the end stays the end for later calls
            _ = try finish()
            return UnsafeRawBufferPointer(start: nil, count: 0)
        }
        nextSlot = (i + 1) % Ring.slots
        held = i
        return UnsafeRawBufferPointer(rebasing: ring.slot(i)[0..<length])
    }

    /// Waits for the thread: the blob's SHA-256 and size, or the error that stopped it
    /// (a corrupt or truncated zstd stream, a read error).
    func finish() throws -> (digest: Digest, bytes: Int64) {
        ring.done.wait()
        ring.done.signal()  // later calls and deinit pass too
        return try ring.outcome.withLock { $0! }.get()
    }

    // MARK: - The thread

    /// The thread's side of the ring: it claims free slots in order, fills and publishes them.
    private final class Filler {
        let ring: Ring
        private var position = 0
        private var claimed: Int?
        private var used = 0

        init(_ ring: Ring) { self.ring = ring }

        /// The slot being filled, after waiting for a free one; nil once the reader is gone.
        private func claim() -> UnsafeMutableRawBufferPointer? {
            if let claimed { return ring.slot(claimed) }
            if ring.abandoned.load(ordering: .acquiring) { return nil }
            ring.free.wait()
            if ring.abandoned.load(ordering: .acquiring) { return nil }
            claimed = position
            position = (position + 1) % Ring.slots
            used = 0
            return ring.slot(claimed!)
        }

        private func publish() {
            ring.lengths.withLock { $0[claimed!] = used }
            claimed = nil
            ring.filled.signal()
        }

        /// Reads from `fd` straight into a slot (the one copy out of the page cache) and
        /// hands it over; the bytes read (0 at the end of the file), nil once the reader is gone.
        func read(_ fd: Int32, what: @autoclosure () -> String) throws -> UnsafeRawBufferPointer? {
            guard let slot = claim() else { return nil }
            let n = try Syscall.read(fd, into: slot, what: what())
            guard n > 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
            used = n
            publish()
            return UnsafeRawBufferPointer(rebasing: slot[0..<n])
        }

        /// Copies `bytes` into slots, handing over each one that fills; false once the reader is gone.
        func append(_ bytes: UnsafeRawBufferPointer) -> Bool {
            var offset = 0
            while offset < bytes.count {
                guard let slot = claim() else { return false }
                let take = min(bytes.count - offset, slot.count - used)
                (slot.baseAddress! + used).copyMemory(from: bytes.baseAddress! + offset, byteCount: take)
                used += take
                offset += take
                if used == slot.count { publish() }
            }
            return true
        }

        /// Hands over what is left, then the end of the stream (an empty block).
        func end() {
            if claimed != nil && used > 0 { publish() }
            guard claim() != nil else { return }
            used = 0
            publish()
        }
    }

    private static func pump(from fd: Int32, into filler: Filler, decode: Bool, source: String) throws -> (digest: Digest, bytes: Int64) {
        var digest = SHA256Stream()
        var total: Int64 = 0
        guard decode else {
            while let block = try filler.read(fd, what: "read \(source)"), block.count > 0 {
                digest.update(block)
                total += Int64(block.count)
            }
            return (digest.finalize(), total)
        }
        let decoder = try ZstdStreamDecoder(source: source)
        let input = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 17, alignment: 16)
        defer { input.deallocate() }
        struct Abandoned: Error {}
        do {
            while true {
                let n = try Syscall.read(fd, into: input, what: "read \(source)")
                let chunk = UnsafeRawBufferPointer(rebasing: input[0..<n])
                try decoder.decode(chunk, atEnd: n == 0) { if !filler.append($0) { throw Abandoned() } }
                if n == 0 { break }
                digest.update(chunk)
                total += Int64(n)
            }
        } catch is Abandoned {}
        return (digest.finalize(), total)
    }
}
