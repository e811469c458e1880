import Glibc

/// Small whole-file reads and writes for procfs and cgroupfs, where one write is one command.
enum FileText {
    static func write(_ path: String, _ text: String) throws(SetupFailure) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        if fd < 0 { throw SetupFailure(step: "open \(path)") }
        defer { close(fd) }
        var bytes = Array(text.utf8)
        let written = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if written != bytes.count { throw SetupFailure(step: "write \(path) (\(text))") }
    }

    static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return nil }
        defer { close(fd) }
        return readAll(fd).map { String(decoding: $0, as: UTF8.self) }
    }

    static func readAll(_ fd: Int32) -> [UInt8]? {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return nil }
            if n == 0 { return result }
            result += buffer[0..<n]
        }
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }
}
