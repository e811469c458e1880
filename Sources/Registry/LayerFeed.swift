import Dispatch
import Foundation
import NIOCore
import SlipwayCore
import Synchronization

/// Carries a layer's bytes from the HTTP response into the extractor: the download task hands
/// each received buffer to `write`, which hashes it and sends it into one end of a socket pair
/// on a queue of its own (blocking there, never on the async task's thread); the extractor
/// reads the other end. The socket's fill level is the backpressure: a slow disk slows the
/// download, nothing is buffered beyond the socket. `digest()` blocks until the feed ends and
/// gives the SHA-256 of every byte fed, or the error that ended it.
final class LayerFeed: Sendable {
    /// The extractor's end (it takes it over).
    let readEnd: Int32
    private let writeEnd: Int32
    private let queue = DispatchQueue(label: "slipway.layer-feed")
    private let state = Mutex<(hash: SHA256Stream, bytes: Int64, readerGone: Bool)>((SHA256Stream(), 0, false))
    private let outcome = Mutex<Result<Digest, SlipwayError>?>(nil)
    private let ended = DispatchSemaphore(value: 0)

    init() throws {
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw SlipwayError.system(call: "socketpair", "a layer download")
        }
        readEnd = fds[0]
        writeEnd = fds[1]
        var size: Int32 = 1 << 20
        setsockopt(writeEnd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(readEnd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        shutdown(readEnd, Int32(SHUT_WR))
    }

    /// Hashes and sends `buffer`; false once the extractor stopped reading (it failed, and
    /// says why itself).
    func write(_ buffer: ByteBuffer) async -> Bool {
        await withCheckedContinuation { continuation in
            queue.async { [self] in
                continuation.resume(returning: send(buffer))
            }
        }
    }

    private func send(_ buffer: ByteBuffer) -> Bool {
        if state.withLock({ $0.readerGone }) { return false }
        return buffer.withUnsafeReadableBytes { bytes in
            state.withLock { $0.hash.update(bytes); $0.bytes += Int64(bytes.count) }
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.send(writeEnd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                if n < 0 {
                    if errno == EINTR { continue }
                    state.withLock { $0.readerGone = true }
                    return false
                }
                offset += n
            }
            return true
        }
    }

    /// Ends the feed: the extractor sees the end of the stream; `error` (a transfer that broke
    /// off) is what `digest()` throws then.
    func finish(_ error: SlipwayError?) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async { [self] in
                Syscall.close(writeEnd)
                let digest = state.withLock { $0.hash.finalize() }
                outcome.withLock { $0 = error.map { .failure($0) } ?? .success(digest) }
                ended.signal()
                continuation.resume()
            }
        }
    }

    var bytes: Int64 { state.withLock { $0.bytes } }

    /// Blocks until `finish`: the digest of the bytes fed, or the transfer's error.
    func digest() throws -> Digest {
        ended.wait()
        ended.signal()
        return try outcome.withLock { $0! }.get()
    }
}
