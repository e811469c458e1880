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

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
func canConnect(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}

/// Starts `arguments` as a server that dies with the test process (setpriv's --pdeathsig,
/// even if atexit never runs), its output in `log`.
func launchServer(_ arguments: [String], environment: [String: String] = [:], log: String) throws -> Process {
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
        if canConnect(port: port) { return true }
        usleep(25_000)
    }
    return false
}
