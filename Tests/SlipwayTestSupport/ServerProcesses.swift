import Foundation
import Synchronization

/// What the servers the tests start (registries, moto) share: they die with the test process
/// and are ready once they accept a connection.
private let children = Mutex<[pid_t]>([])

/// SIGKILLs `pid` when the test process exits (setpriv's --pdeathsig covers a crash).
func killAtExit(_ pid: pid_t) {
    children.withLock { list in
        if list.isEmpty { atexit { children.withLock { $0.forEach { kill($0, SIGKILL) } } } }
        list.append(pid)
    }
}

/// Starts `arguments` as a server that dies with the test process (setpriv's --pdeathsig,
/// even if atexit never runs), its output in `log`. The death signal comes when the *thread*
/// that started the server exits, so every server is started from `ServerLauncher`'s thread,
/// which lives as long as the process.
func launchServer(_ arguments: [String], environment: [String: String] = [:], log: String) throws -> Process {
    try ServerLauncher.shared.run { try spawnServer(arguments, environment: environment, log: log) }
}

private func spawnServer(_ arguments: [String], environment: [String: String], log: String) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
    process.arguments = ["--pdeathsig", "KILL"] + arguments
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    _ = FileManager.default.createFile(atPath: log, contents: nil)
    let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = output
    process.standardError = output
    try process.run()
    killAtExit(process.processIdentifier)
    return process
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
func awaitListening(_ process: Process, port: Int, seconds: Double) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while process.isRunning && Date() < deadline {
        if Loopback.acceptsConnections(port: port) { return true }
        usleep(25_000)
    }
    return false
}

/// One thread for the life of the test process that starts the servers (see `launchServer`).
private final class ServerLauncher: @unchecked Sendable {
    static let shared = ServerLauncher()
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []

    private init() {
        Thread { [self] in
            while true {
                condition.lock()
                while jobs.isEmpty { condition.wait() }
                let job = jobs.removeFirst()
                condition.unlock()
                job()
            }
        }.start()
    }

    func run<T>(_ body: @escaping () throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: Result<T, any Error>?
        condition.lock()
        jobs.append {
            result = Result { try body() }
            done.signal()
        }
        condition.signal()
        condition.unlock()
        done.wait()
        return try result!.get()
    }
}
