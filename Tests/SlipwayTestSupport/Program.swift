import Foundation
import Synchronization

/// What a finished command printed and how it ended.
public struct ProgramOutput: Sendable, CustomStringConvertible {
    /// The exit status, or 128 + the signal that killed it.
    public var status: Int32
    public var stdout: String
    public var stderr: String

    public var succeeded: Bool { status == 0 }

    public var description: String { "exit status \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
}

/// Runs programs for tests: both output streams are read at the same time (reading one to its
/// end first stalls a child that fills the other pipe), and every run has a deadline after
/// which the child is killed and the test fails with what it had printed.
public enum Program {
    /// Runs `executable` to completion. `environment` is added to this process's environment,
    /// or is the whole environment when `inheritEnvironment` is false. Standard input is
    /// /dev/null.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                           inheritEnvironment: Bool = true, directory: String? = nil,
                           timeout: Duration = .seconds(300)) throws -> ProgramOutput {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = inheritEnvironment ? ProcessInfo.processInfo.environment : [:]
        env.merge(environment) { $1 }
        process.environment = env
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        // The parent's copies of the write ends must go, or the readers never see end of file.
        try? out.fileHandleForWriting.close()
        try? err.fileHandleForWriting.close()
        let stdout = StreamReader(out.fileHandleForReading), stderr = StreamReader(err.fileHandleForReading)

        let deadline = DispatchTime.now() + timeout.dispatchInterval
        let command = ([executable] + arguments).joined(separator: " ")
        guard exited.wait(timeout: deadline) == .success else {
            kill(process.processIdentifier, SIGKILL)
            exited.wait()
            throw TestFailure("\(command) did not finish in \(timeout); killed it. It printed:\n"
                              + "--- stdout\n\(stdout.text)--- stderr\n\(stderr.text)")
        }
        // A grandchild that kept the pipes open must not hang the test either.
        guard stdout.wait(until: deadline), stderr.wait(until: deadline) else {
            throw TestFailure("\(command) exited but its output stayed open past \(timeout) (a background child still holds it)")
        }
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return ProgramOutput(status: status, stdout: stdout.text, stderr: stderr.text)
    }
}

extension Program {
    /// Runs a tool that must succeed and returns its stdout; throws with all it printed when
    /// it fails.
    @discardableResult
    public static func output(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                              directory: String? = nil, timeout: Duration = .seconds(300)) throws -> String {
        let result = try run(executable, arguments, environment: environment, directory: directory, timeout: timeout)
        guard result.succeeded else { throw TestFailure(([executable] + arguments).joined(separator: " ") + ": \(result)") }
        return result.stdout
    }
}

/// Reads one pipe to its end on its own thread.
private final class StreamReader: Sendable {
    private let data = Mutex<[UInt8]>([])
    private let finished = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        let fd = handle.fileDescriptor
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                data.withLock { $0.append(contentsOf: buffer[..<count]) }
            }
            withExtendedLifetime(handle) {}
            finished.signal()
        }
    }

    var text: String { data.withLock { String(decoding: $0, as: UTF8.self) } }

    func wait(until deadline: DispatchTime) -> Bool {
        guard finished.wait(timeout: deadline) == .success else { return false }
        finished.signal()
        return true
    }
}

extension Duration {
    var dispatchInterval: DispatchTimeInterval {
        let (seconds, attoseconds) = components
        return .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
    }

    /// The duration in seconds, for `Date`-based deadlines and messages.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
