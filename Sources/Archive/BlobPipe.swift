import CLinux
import CZstd
import Dispatch
import Foundation
import SlipwayCore
import Synchronization

/// Reads a stored blob on its own thread, hashes its bytes and, when it is zstd, decompresses
/// it there, writing the result into a pipe that the tar reader reads on the caller's thread.
/// This is `zstd -dc blob | tar -x` within one process: decoding and hashing on one core,
/// parsing and writing files on the other. Other encodings pass through as stored and are
/// decoded by libarchive on the reading side.
final class BlobPipe {
    /// The read end; owned by this object.
    let readFD: Int32
    /// Whether the thread decompresses (zstd) or passes the bytes through.
    let decodes: Bool
    private let state = State()

    /// What the thread leaves behind: the blob's digest and size, or why it stopped.
    private final class State: Sendable {
        let outcome = Mutex<Result<(hex: String, bytes: Int64), SlipwayError>?>(nil)
        let done = DispatchSemaphore(value: 0)
    }

    init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SlipwayError.system("open \(path)") }
        var magic: UInt32 = 0
        let n = pread(fd, &magic, 4, 0)
        var ends: [Int32] = [-1, -1]
        guard cl_pipe_cloexec(&ends) == 0 else {
            Syscall.close(fd)
            throw SlipwayError.system("pipe")
        }
        // F_SETPIPE_SZ to 1 MiB (the default pipe-max-size) so the decoder rarely waits on
        // the reader; when refused, the default 64 KiB works too.
        _ = fcntl(ends[1], 1031, Int32(1 << 20))
        readFD = ends[0]
        let decodes = n == 4 && magic == ZSTD_MAGICNUMBER
        self.decodes = decodes
        let writeFD = ends[1], state = state
        // The thread holds only `state`, never `self`, so dropping the reader early closes
        // the read end and stops the thread (EPIPE) instead of leaving it blocked.
        Thread.detachNewThread {
            let result: Result<(hex: String, bytes: Int64), SlipwayError>
            do {
                result = .success(try Self.pump(from: fd, to: writeFD, decode: decodes, source: path))
            } catch let error as SlipwayError {
                result = .failure(error)
            } catch {
                result = .failure(.failed("\(path): \(error)"))
            }
            Syscall.close(fd)
            state.outcome.withLock { $0 = result }
            // The reader sees EOF only once the outcome is recorded.
            Syscall.close(writeFD)
            state.done.signal()
        }
    }

    deinit {
        Syscall.close(readFD)
        state.done.wait()  // the thread never outlives the reader
    }

    /// Waits for the thread: the blob's SHA-256 hex and size, or the error that stopped it
    /// (a corrupt or truncated zstd stream, a read error). Call once `readFD` is at its end.
    func finish() throws -> (hex: String, bytes: Int64) {
        state.done.wait()
        state.done.signal()  // later calls and deinit pass too
        return try state.outcome.withLock { $0! }.get()
    }

    private static func pump(from fd: Int32, to out: Int32, decode: Bool, source: String) throws -> (hex: String, bytes: Int64) {
        // The reader may stop early (a refused entry); its closed pipe must give this thread
        // EPIPE, not raise SIGPIPE for the whole process.
        var block = sigset_t()
        sigemptyset(&block)
        sigaddset(&block, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &block, nil)
        var digest = SHA256Stream()
        var total: Int64 = 0
        let input = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 17, alignment: 16)
        defer { input.deallocate() }
        let decoder = decode ? try ZstdStreamDecoder(source: source) : nil
        let send = { (bytes: UnsafeRawBufferPointer) throws in
            try Syscall.writeAll(out, bytes, what: "\(source): pass to the extractor")
        }
        while true {
            let n = try Syscall.read(fd, into: input, what: "read \(source)")
            let chunk = UnsafeRawBufferPointer(rebasing: input[0..<n])
            if let decoder {
                try decoder.decode(chunk, atEnd: n == 0, send)
            } else if n > 0 {
                try send(chunk)
            }
            if n == 0 { break }
            digest.update(chunk)
            total += Int64(n)
        }
        return (digest.finalizeHex(), total)
    }
}
