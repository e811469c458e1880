import Foundation
import SlipwayTestSupport

/// A TCP listener on the host's 127.0.0.1 that never accepts: a completed handshake shows up
/// as a pending connection, which is all the network tests need to know.
struct LoopbackListener {
    let fd: Int32
    let port: UInt16

    init() throws {
        let (fd, port) = try Loopback.listener(backlog: 16)
        self.fd = fd
        self.port = UInt16(port)
    }

    func hasPendingConnection() -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 100) == 1
    }

    func close() { _ = Glibc.close(fd) }
}

/// Command lines of every process on the host, NUL-separated as in /proc/PID/cmdline.
enum HostProcesses {
    static func commandLines() -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { Int($0) != nil }.compactMap { pid in
            FileManager.default.contents(atPath: "/proc/\(pid)/cmdline").map { String(decoding: $0, as: UTF8.self) }
        }
    }
}

/// Every path under a tree with its type, mode, size and mtime: equal snapshots mean untouched.
struct RootfsSnapshot: Equatable {
    let entries: [String]

    init(_ root: String) {
        var entries: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let path = enumerator?.nextObject() as? String {
            var info = stat()
            lstat(root + "/" + path, &info)
            entries.append("\(path) \(info.st_mode) \(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)")
        }
        var info = stat()
        lstat(root, &info)
        entries.append(". \(info.st_mode) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)")
        self.entries = entries.sorted()
    }
}

extension Array where Element: Sendable {
    /// Runs `transform` on every element at once, one thread each, in order.
    func concurrentMap<T: Sendable>(_ transform: @escaping @Sendable (Element) throws -> T) throws -> [T] {
        let results = UnsafeMutableBufferPointer<Result<T, Error>?>.allocate(capacity: count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        nonisolated(unsafe) let shared = results
        DispatchQueue.concurrentPerform(iterations: count) { index in
            shared[index] = Result { try transform(self[index]) }
        }
        return try results.map { try $0!.get() }
    }
}
