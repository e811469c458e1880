import Dispatch
import Foundation
import SlipwayCore
import Synchronization

/// Hashes a blob on another core while the layer is extracted from the same file: SHA-256
/// is the largest cost of an import after the copying itself, and the two overlap fully.
final class BlobHasher: Sendable {
    private let result = Mutex<Result<Digest, SlipwayError>?>(nil)
    private let done = DispatchSemaphore(value: 0)

    /// Starts hashing `fd` (read with pread, so the extractor's offset is untouched); the
    /// caller keeps `fd` open until `wait()` returns.
    init(fd: Int32, source: String) {
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            let outcome: Result<Digest, SlipwayError>
            do {
                outcome = .success(try SHA256Stream.digest(ofFD: fd, what: source))
            } catch let error as SlipwayError {
                outcome = .failure(error)
            } catch {
                outcome = .failure(.wrapping(error, "hash \(source)"))
            }
            result.withLock { $0 = outcome }
            done.signal()
        }
    }

    /// The blob's digest; may be called more than once.
    func wait() throws -> Digest {
        done.wait()
        done.signal()  // let later calls through too
        return try result.withLock { $0! }.get()
    }
}
