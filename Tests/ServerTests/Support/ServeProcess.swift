import Foundation
import SlipwayTestSupport

/// A running `slipway serve` (the real binary): its pid, port and what it printed.
struct ServeProcess {
    let process: Process
    let port: Int
    let log: String
    var pid: Int32 { process.processIdentifier }
    /// What it printed before it listened.
    let printed: String
    /// All it has printed on stderr so far.
    var stderr: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
    var isRunning: Bool { process.isRunning }

    /// Starts `slipway serve ARGUMENTS` (default: a free loopback port) on `home`, with
    /// `environment` added; `shell` runs it through `/bin/sh -c` with that prefix
    /// (`ulimit -n 128 &&`). Waits until it prints its address.
    static func start(home: String, arguments: [String] = ["--listen", "127.0.0.1:0"], shell: String? = nil,
                      environment: [String: String] = [:]) async throws -> ServeProcess {
        let process = Process()
        if let shell {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "\(shell) exec \"$0\" serve \"$@\"", SlipwayCommand.binary] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: SlipwayCommand.binary)
            process.arguments = ["serve"] + arguments
        }
        process.environment = ProcessInfo.processInfo.environment.merging(environment.merging(["SLIPWAY_HOME": home]) { $1 }) { $1 }
        let log = home + "/serve-\(UUID().uuidString).log"
        try makeParent(log)
        FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        for _ in 0..<400 {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"https?://(127\.0\.0\.1|\[::1\]):[0-9]+/"#, options: .regularExpression),
               let port = Int(text[range].split(separator: ":").last?.dropLast() ?? "") {
                return ServeProcess(process: process, port: port, log: log, printed: text)
            }
            guard process.isRunning else {
                throw TestFailure("slipway serve exited with \(process.terminationStatus) before listening:\n\(text)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        throw TestFailure("slipway serve did not print its address in 20 s")
    }

    /// Runs `slipway serve ARGUMENTS` expecting it to refuse to start; its exit status and stderr.
    static func refusal(home: String, arguments: [String]) throws -> ProgramOutput {
        try SlipwayCommand(home: home).run(["serve"] + arguments, timeout: .seconds(60))
    }

    /// SIGTERM; returns the exit status and how long the process took to go.
    @discardableResult
    func terminate() -> (Int32, Duration) {
        let started = ContinuousClock.now
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        return (process.terminationStatus, ContinuousClock.now - started)
    }

    func kill9() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    private static func makeParent(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    }
}
