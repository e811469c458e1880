import Foundation
import SlipwayCore

/// Messages for people go to stderr; results for scripts go to stdout.
enum Terminal {
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("slipway: error: \(message)\n".utf8))
    }

    static func note(_ message: String) {
        FileHandle.standardError.write(Data("\(message)\n".utf8))
    }

    /// A line of build or hook output on stderr: escaped on a terminal, as it is otherwise.
    static func output(_ line: String) {
        note(stderrIsTerminal ? TerminalText.escaped(line) : line)
    }

    /// Stored log text on stdout: escaped on a terminal, the stored bytes otherwise.
    static func outputToStandardOutput(_ bytes: Data) {
        guard stdoutIsTerminal else { return FileHandle.standardOutput.write(bytes) }
        FileHandle.standardOutput.write(Data(TerminalText.escaped(String(decoding: bytes, as: UTF8.self)).utf8))
    }

    static let stderrIsTerminal = isatty(2) == 1
    static let stdoutIsTerminal = isatty(1) == 1

    /// Rows on stdout: on a terminal under a header line, in aligned columns; otherwise (a
    /// pipe, a file) one tab-separated line per row and no header, the format scripts read.
    static func table(_ header: [String], _ rows: [[String]]) {
        guard stdoutIsTerminal else {
            for row in rows { print(row.joined(separator: "\t")) }
            return
        }
        var widths = header.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        for row in [header] + rows {
            let cells = row.enumerated().map { i, cell in
                i == row.count - 1 || i >= widths.count ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }
            print(cells.joined(separator: "  "))
        }
    }

    static func json<T: Encodable>(_ value: T) throws {
        line(try JSONOutput.encode(value))
    }

    /// A result line on stdout without `print`'s casts of its argument, whose first use scans
    /// every conformance record of the binary (2.7 million instructions). What `print` holds in
    /// its buffer goes first, so the two keep their order.
    static func line(_ text: String) {
        fflush(nil)
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static var isInteractive: Bool { isatty(STDERR_FILENO) != 0 }

    /// A progress line on an interactive stderr, redrawn at most every 100 ms.
    static func progress(_ label: String) -> ((Int64, Int64) -> Void)? {
        guard isInteractive else { return nil }
        var last = Date.distantPast
        return { done, total in
            let now = Date()
            guard now.timeIntervalSince(last) > 0.1 || done == total else { return }
            last = now
            let percent = total > 0 ? Int(done * 100 / total) : 100
            FileHandle.standardError.write(Data("\r\(label) \(percent)% (\(bytes(done)) of \(bytes(total)))\u{1B}[K".utf8))
            if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
        }
    }

    static func bytes(_ n: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(n)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(n) B" : String(format: "%.1f %@", value, units[unit])
    }
}
