import Foundation

/// Thin, throwing wrappers over the system calls Slipway uses, with EINTR retried in one place.
public enum Syscall {
    /// Runs `body` until it stops failing with EINTR; throws `SlipwayError.system` on -1.
    @discardableResult
    public static func retrying<T: BinaryInteger>(_ what: @autoclosure () -> String, _ body: () -> T) throws -> T {
        while true {
            let result = body()
            if result >= 0 { return result }
            let code = errno
            if code == EINTR { continue }
            throw SlipwayError.system(what(), errno: code)
        }
    }

    public static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// Writes all of `buffer` to `fd`.
    public static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, what: @autoclosure () -> String) throws {
        var offset = 0
        while offset < buffer.count {
            let n = try retrying(what()) { Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset) }
            offset += n
        }
    }

    /// Reads up to `buffer.count` bytes; 0 at end of file.
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, what: @autoclosure () -> String) throws -> Int {
        try retrying(what()) { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// A whole file, read until read(2) says end of file. Files in /proc report no size and
    /// give a page or less per read (a table of many sockets is many reads): a reader that
    /// takes a short read for the end, as Foundation's does, sees only the first page.
    public static func readFile(_ path: String) throws -> [UInt8] {
        let fd = try retrying("open \(path)") { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = try chunk.withUnsafeMutableBytes { try read(fd, into: $0, what: "read \(path)") }
            if count == 0 { return contents }
            contents += chunk[0..<count]
        }
    }

    public static func fsync(_ fd: Int32, what: @autoclosure () -> String) throws {
        try retrying(what()) { Glibc.fsync(fd) }
    }

    /// The names in the directory at `path`, without `.` and `..`, in the order readdir gives them.
    public static func directoryNames(_ path: String) throws -> [String] {
        try directoryNames(at: AT_FDCWD, path, name: path)
    }

    /// The names in the directory open as `fd`, read through a descriptor of their own (so
    /// `fd`'s offset is left alone); `name` names the directory in errors.
    public static func directoryNames(of fd: Int32, name: String) throws -> [String] {
        try directoryNames(at: fd, ".", name: name)
    }

    private static func directoryNames(at base: Int32, _ path: String, name: String) throws -> [String] {
        let fd = try retrying("open \(name)") { openat(base, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard let stream = fdopendir(fd) else {
            let code = errno
            close(fd)
            throw SlipwayError.open(name, errno: code)
        }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let text = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if text != "." && text != ".." { names.append(text) }
        }
        return names
    }

    /// fsyncs a directory so a rename or create inside it is durable.
    public static func fsyncDirectory(_ path: String) throws {
        let fd = try retrying("open \(path)") { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(fd) }
        try fsync(fd, what: "fsync \(path)")
    }
}
