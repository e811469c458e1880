import Foundation
import Synchronization

/// What the servers the tests start (registries, moto) share: they die with the test process
/// and are ready once they accept a connection.
private let children = Mutex<[pid_t]>([])

/// SIGKILLs `pid` when the test process exits normally (`launchServer`'s watcher covers a crash).
func killAtExit(_ pid: pid_t) {
    children.withLock { list in
        if list.isEmpty { atexit { children.withLock { $0.forEach { kill($0, SIGKILL) } } } }
        list.append(pid)
    }
}

/// Starts `arguments` as a server that dies with the test process, however it ends, its
/// output in `log`. setpriv's --pdeathsig would follow the *thread* that started the server
/// (test threads come and go), so instead a watcher beside the server waits on a pipe whose
/// only writer is this process: when the process is gone, the pipe's end is read and the
/// server (the same pid as the returned process: the shell execs it) is SIGKILLed.
func launchServer(_ arguments: [String], environment: [String: String] = [:], log: String) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", #"exec 3<&0; (read _ <&3; kill -9 $$) & exec "$@" </dev/null"#, "sh"] + arguments
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    _ = FileManager.default.createFile(atPath: log, contents: nil)
    let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
    process.standardInput = FileHandle(fileDescriptor: LifetimePipe.readEnd, closeOnDealloc: false)
    process.standardOutput = output
    process.standardError = output
    try process.run()
    killAtExit(process.processIdentifier)
    return process
}

/// A pipe nothing ever writes to; its write end, close-on-exec, lives as long as this process.
private enum LifetimePipe {
    static let readEnd: Int32 = {
        var ends: [Int32] = [0, 0]
        precondition(pipe(&ends) == 0, "pipe: \(errno)")
        _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
        // The write end moves far above the descriptors tests open and close, so that a test
        // closing a number twice cannot end every server's life with it.
        let writer = fcntl(ends[1], F_DUPFD_CLOEXEC, 1000)
        precondition(writer >= 0, "fcntl F_DUPFD_CLOEXEC: \(errno)")
        close(ends[1])
        return ends[0]
    }()
}

/// A fixture made once per test process, on first use; a failure to make it is kept and
/// thrown to every test that asks.
final class StartedOnce<Value: Sendable>: Sendable {
    private let state = Mutex<Result<Value, TestFailure>?>(nil)
    private let what: String

    init(_ what: String) { self.what = what }

    func get(_ make: () throws -> Value) throws -> Value {
        try state.withLock { state in
            if let state { return try state.get() }
            let result: Result<Value, TestFailure>
            do {
                result = .success(try make())
            } catch let error as TestFailure {
                result = .failure(error)
            } catch {
                result = .failure(TestFailure("starting \(what): \(error)"))
            }
            state = result
            return try result.get()
        }
    }
}

/// Waits until `process` accepts connections on `port`; false if it exits or `seconds` pass.
public func awaitListening(_ process: Process, port: Int, seconds: Double) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while process.isRunning && Date() < deadline {
        if Loopback.acceptsConnections(port: port) { return true }
        usleep(25_000)
    }
    return false
}
