import Glibc

/// The helper's side of the report pipe (fd 4): one line per record, each short enough
/// (< PIPE_BUF) that concurrent writers in the helper, the sandbox's init and the payload never
/// interleave. Records: `error`, `unenforced`, `exec`, `message`, `result`.
struct ReportChannel {
    static let fd: Int32 = 4

    static func send(_ kind: String, _ text: String) {
        var line = kind + " " + String(text.map { $0 == "\n" ? " " : $0 })
        if line.utf8.count > 3_000 { line = String(decoding: line.utf8.prefix(3_000), as: UTF8.self) }
        line += "\n"
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress, $0.count) }
    }

    static func fail(_ failure: SetupFailure) {
        send("error", "\(failure.step): \(failure.message)")
    }
}
