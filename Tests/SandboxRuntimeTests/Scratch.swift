import CLinux
import Glibc

/// A fresh directory under /tmp for one test, removed by `remove()`.
struct Scratch {
    let path: String

    init() {
        var template = Array("/tmp/slipway-runtime-tests.XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    /// Creates `relative` (and its parents) as a directory.
    @discardableResult
    func directory(_ relative: String) -> String {
        var current = path
        for component in relative.split(separator: "/") {
            current += "/" + component
            mkdir(current, 0o755)
        }
        return current
    }

    /// Writes `text` to `relative`, creating the file.
    func file(_ relative: String, _ text: String = "") {
        let fd = open(path + "/" + relative, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        precondition(fd >= 0, "cannot create \(relative)")
        _ = Array(text.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    func read(_ relative: String) -> String? {
        let fd = open(path + "/" + relative, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 65_536)
        let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        return n < 0 ? nil : String(decoding: bytes[0..<n], as: UTF8.self)
    }

    func exists(_ relative: String) -> Bool { access(path + "/" + relative, F_OK) == 0 }

    func remove() {
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/rm"), strdup("-rf"), strdup(path), nil]
        defer { argv.forEach { free($0) } }
        // Nothing but stdin/stdout/stderr: another test's pipe must not live on in the child.
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        _ = cl_spawn_close_from(&actions, 3, 0)
        guard posix_spawn(&pid, "/bin/rm", &actions, nil, argv, environ) == 0 else { return }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
}

/// A pipe whose ends the test closes itself.
struct Pipe {
    let read: Int32
    let write: Int32

    init() {
        var fds: [Int32] = [-1, -1]
        precondition(pipe(&fds) == 0)
        read = fds[0]
        write = fds[1]
    }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.write(write, $0.baseAddress, $0.count) }
    }

    /// Everything until EOF (close the write end first).
    func drain() -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4_096)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(read, $0.baseAddress, $0.count) }
            if n <= 0 { return result }
            result += buffer[0..<n]
        }
    }
}
