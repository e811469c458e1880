import Foundation
import SlipwayCore
import Synchronization

/// The stored log of one build: CodeBuild-style `[Container]` lines with timestamps for
/// Slipway's own messages and the command output as it came, with secrets masked before
/// anything is written or streamed.
final class BuildLog: Sendable {
    let path: String
    let masker: SecretMasker
    private let fd: Mutex<Int32>
    private let sink: @Sendable (BuildEvent) -> Void

    init(path: String, masker: SecretMasker, sink: @escaping @Sendable (BuildEvent) -> Void) throws {
        self.path = path
        self.masker = masker
        self.sink = sink
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SlipwayError.create(path) }
        self.fd = Mutex(fd)
    }

    /// `2026/01/02 03:04:05.678`, always UTC.
    static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .nanosecond], from: date)
        return String(format: "%04d/%02d/%02d %02d:%02d:%02d.%03d", c.year!, c.month!, c.day!, c.hour!, c.minute!,
                      c.second!, c.nanosecond! / 1_000_000)
    }

    /// A Slipway line: `[Container] 2026/01/02 03:04:05.678 Entering phase BUILD`.
    func container(_ message: String, at date: Date = Date()) {
        let line = "[Container] \(Self.timestamp(date)) \(masker.apply(message))"
        write(line, event: .log(line, container: true))
    }

    /// A line of command output.
    func output(_ text: String) {
        let masked = masker.apply(text)
        write(masked, event: .log(masked, container: false))
    }

    private func write(_ line: String, event: BuildEvent) {
        fd.withLock { fd in
            guard fd >= 0 else { return }
            var bytes = Array((line + "\n").utf8)
            _ = try? bytes.withUnsafeMutableBytes { try Syscall.writeAll(fd, UnsafeRawBufferPointer($0), what: "write log") }
        }
        sink(event)
    }

    func close() {
        fd.withLock { fd in
            if fd >= 0 { Syscall.close(fd) }
            fd = -1
        }
    }
}
