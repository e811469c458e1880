import CLinux
import Foundation
import Server
import SlipwayCore
import SlipwayTestSupport
import Testing

/// `slipway serve` as a process under abuse: one service per SLIPWAY_HOME, a taken port said
/// plainly, a flood of half-open connections, and accept() out of file descriptors.
@Suite(.tags(.large, .timed), .serialized) struct ServeAbuseTests {
    @Test(.timeLimit(.minutes(4)))
    func aSecondServiceOnTheSameHomeRefuses() async throws {
        let home = try TemporaryDirectory("slipway-serve-lock")
        let first = try await ServeProcess.start(home: home.home.path)
        defer { first.kill9() }
        // Waits for processes on threads of their own, not the few of the cooperative pool
        // that every suite running beside this one needs too.
        let second = try await offPool { try ServeProcess.refusal(home: home.home.path, arguments: ["--listen", "127.0.0.1:0"]) }
        #expect(second.status == 2, "\(second)")
        #expect(second.stderr.contains("another slipway serve (PID \(first.pid)) is already running on SLIPWAY_HOME \(home.home.path)"),
                "\(second.stderr)")
        #expect(first.isRunning)
        // Once the first is gone, the home is free again.
        _ = try await offPool { first.terminate() }
        let third = try await ServeProcess.start(home: home.home.path)
        third.kill9()
    }

    @Test(.timeLimit(.minutes(2)))
    func aTakenPortNamesItsHolder() async throws {
        let home = try TemporaryDirectory("slipway-serve-port")
        // The holder is a process of its own, as it would be in use: a listener in this process
        // shares its descriptor table with every suite running beside this one.
        let holder = try PortHolder()
        defer { holder.stop() }
        let port = holder.port
        let refused = try await offPool { try ServeProcess.refusal(home: home.home.path, arguments: ["--listen", "127.0.0.1:\(port)"]) }
        #expect(refused.status == 2, "\(refused)")
        #expect(refused.stderr.contains("127.0.0.1:\(port) is in use"), "\(refused)")
        #expect(refused.stderr.contains("127.0.0.1:\(port) is in use (by PID \(holder.pid), python3)"),
                "\(refused.stderr); \(Self.procView(port: port, pid: holder.pid))")
        #expect(!refused.stderr.contains("NIO") && !refused.stderr.contains("IOError"), "no raw NIO error: \(refused.stderr)")
    }

    /// What /proc shows this thread of a port and its holder, for a failure's message.
    static func procView(port: Int, pid: Int32) -> String {
        let hex = String(format: ":%04X ", port)
        let table = ["tcp", "tcp6"].map { (try? Syscall.readFile("/proc/net/\($0)")).map { String(decoding: $0, as: UTF8.self) } ?? "(unreadable)" }
        let lines = table.flatMap { $0.split(separator: "\n").filter { $0.contains(hex) } }
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")).map { "\($0.count) fds" } ?? "fd unreadable: errno \(errno)"
        let links = (0..<8).compactMap { fd -> String? in
            var buffer = [CChar](repeating: 0, count: 256)
            let count = readlink("/proc/\(pid)/fd/\(fd)", &buffer, 255)
            return count > 0 ? "\(fd)→\(String(cString: buffer))" : "\(fd)✗\(errno)"
        }
        let caps = ((try? String(contentsOfFile: "/proc/thread-self/status", encoding: .utf8)) ?? "").split(separator: "\n")
            .filter { $0.hasPrefix("Cap") || $0.hasPrefix("Seccomp") || $0.hasPrefix("NoNewPrivs") || $0.hasPrefix("Uid") }
        let ns = ["self", "\(pid)"].map { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\($0)/ns/net")) ?? "?" }
        return "tcp lines \(lines); holder \(fds) \(links); thread \(caps); net ns \(ns); tcp sizes \(table.map(\.count))"
    }

    /// 20,000 connections that never finish a request: the service closes the longest-idle
    /// ones to stay under its cap, and a fresh connection's /healthz is answered within 5 s (milliseconds when idle).
    @Test(.timeLimit(.minutes(4)))
    func halfOpenFloodLeavesHealthzAnswering() async throws {
        let home = try TemporaryDirectory("slipway-serve-flood")
        let serve = try await ServeProcess.start(home: home.home.path)
        defer { serve.kill9() }
        let port = serve.port
        let wanted = 20_000
        let report = try await offPool { () throws -> (opened: Int, healthz: [Duration?], alive: Bool, metrics: String?) in
            // More than this process may hold: batches are opened here and handed to holder
            // processes, as a flood from several machines would be.
            let flood = HalfOpenFlood(port: port)
            defer { flood.close() }
            let batch = HalfOpenFlood.batchSize(descriptorLimit: ConnectionLimits.currentDescriptorLimit())
            while flood.connected < wanted {
                // Opened a few hundred at a time, each lot connected before the next.
                let lot = min(batch, wanted - flood.connected)
                for start in stride(from: 0, to: lot, by: 500) {
                    flood.open(min(500, lot - start), inheritable: true)
                    flood.waitConnected(timeout: .seconds(60))
                }
                flood.sendPartialHeads()
                try flood.handOver()
            }
            // The flood is held now, no longer arriving: once the service has taken what
            // waits in its accept queue, a fresh connection must be answered at once. (Without
            // the cap the service runs out of descriptors and the queue never drains.)
            let drained = ContinuousClock.now + .seconds(60)
            while acceptQueue(port: port) > 0, ContinuousClock.now < drained { Thread.sleep(forTimeInterval: 0.1) }
            // The metrics page, answered with time to spare, says the service has taken in the
            // flood; from then on every fresh connection gets its answer within 5 s.
            let metrics = RawConnection.get("/metrics", port: port, timeout: .seconds(10))
            var answers: [Duration?] = []
            for _ in 0..<5 {
                let started = ContinuousClock.now
                answers.append(RawConnection.get("/healthz", port: port, timeout: .seconds(5))?.hasSuffix("ok\n") == true
                               ? ContinuousClock.now - started : nil)
                Thread.sleep(forTimeInterval: 0.2)
            }
            return (flood.connected, answers, serve.isRunning, metrics)
        }
        #expect(report.opened >= wanted - 100, "connections opened: \(report.opened)")
        #expect(report.healthz.allSatisfy { $0 != nil }, "every /healthz answered within 5 s: \(report.healthz)")
        #expect(report.alive, "the service survived: \(serve.stderr)")
        let metrics = try #require(report.metrics, "/metrics answered under the flood")
        func value(_ name: String) -> Int {
            Int(metrics.split(separator: "\n").first { $0.hasPrefix(name + " ") }?.split(separator: " ").last ?? "") ?? -1
        }
        let open = value("slipway_http_connections"), cap = value("slipway_http_connections_limit")
        let closed = value(#"slipway_http_connections_closed_total{reason="room"}"#) + value(#"slipway_http_connections_closed_total{reason="timeout"}"#)
        #expect(cap > 0 && open <= cap + 8, "open connections stayed under the cap: \(open) of \(cap)")
        #expect(closed >= wanted / 2, "the service closed the flood's connections (for room or their timeout): \(closed)")
        print("half-open flood: \(report.opened) connections, \(closed) closed by the service; /healthz took \(report.healthz.compactMap { $0 })")
    }

    /// accept() failing with EMFILE (a low `ulimit -n` and a cap above it): the service says so,
    /// closes idle connections, keeps answering and does not crash.
    @Test(.timeLimit(.minutes(3)))
    func outOfDescriptorsKeepsServing() async throws {
        let home = try TemporaryDirectory("slipway-serve-emfile")
        let serve = try await ServeProcess.start(home: home.home.path, arguments: ["--listen", "127.0.0.1:0", "--max-connections", "1000"],
                                                 shell: "ulimit -n 128 &&")
        defer { serve.kill9() }
        #expect(serve.printed.contains("--max-connections 1000 is more than"), "\(serve.printed)")
        let port = serve.port
        let (answeredDuring, answeredAfter) = try await offPool { () -> (Bool, Bool) in
            let flood = HalfOpenFlood(port: port)
            flood.open(300)
            flood.waitConnected(timeout: .seconds(30))
            Thread.sleep(forTimeInterval: 1.5)
            var during = false
            let deadline = ContinuousClock.now + .seconds(30)
            while !during, ContinuousClock.now < deadline {
                during = RawConnection.get("/healthz", port: port, timeout: .seconds(5))?.hasSuffix("ok\n") == true
            }
            flood.close()
            Thread.sleep(forTimeInterval: 1.5)
            return (during, RawConnection.get("/healthz", port: port, timeout: .seconds(3))?.hasSuffix("ok\n") == true)
        }
        #expect(serve.stderr.contains("accept: out of file descriptors (EMFILE"), "\(serve.stderr)")
        #expect(answeredDuring, "answered while accept() was running out")
        #expect(answeredAfter, "answered once the flood went")
        #expect(serve.isRunning, "the service survived: \(serve.stderr)")
    }
}

/// Connections waiting in the accept queue of the socket listening on 127.0.0.1:`port`
/// (for a listening socket, /proc/net/tcp's rx_queue is that queue's length).
func acceptQueue(port: Int) -> Int {
    let text = (try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8)) ?? ""
    for line in text.split(separator: "\n").dropFirst() {
        let fields = line.split(separator: " ")
        guard fields.count > 4, fields[3] == "0A", fields[1].hasSuffix(String(format: ":%04X", port)) else { continue }
        return Int(fields[4].split(separator: ":").last ?? "", radix: 16) ?? 0
    }
    return 0
}

/// Many non-blocking connections to one port, held open here or by holder processes.
final class HalfOpenFlood {
    let port: Int
    private(set) var sockets: [Int32] = []
    /// Connections established so far, including those handed over.
    private(set) var connected = 0
    private(set) var holders: [pid_t] = []
    /// How many of `sockets` `waitConnected` has seen.
    private var waited = 0

    init(port: Int) { self.port = port }

    /// How many connections to hold in this process before handing them over: an eighth of
    /// the descriptor limit at most. This process is shared with every suite running beside
    /// this one; out of descriptors, their error paths run, and Foundation's `Process.run`
    /// then closes descriptor 0, which it does not own (its socketpair fails unchecked), and
    /// whatever took that number next (an in-process service's accepted socket) goes with it.
    static func batchSize(descriptorLimit: Int) -> Int {
        max(64, min(2_000, descriptorLimit / 8))
    }

    /// Starts `count` connections; `inheritable` ones (no close-on-exec) can be handed over.
    func open(_ count: Int, inheritable: Bool = false) {
        var address = Loopback.address(port: port)
        let flags = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | (inheritable ? 0 : Int32(SOCK_CLOEXEC.rawValue))
        for _ in 0..<count {
            let fd = socket(AF_INET, flags, 0)
            guard fd >= 0 else { break }
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            sockets.append(fd)
        }
    }

    /// Waits until every connect of the sockets opened since the last wait finished
    /// (writable, or failed).
    func waitConnected(timeout: Duration) {
        let deadline = ContinuousClock.now + timeout
        var pending = Array(sockets[waited...])
        waited = sockets.count
        var done = 0
        defer { connected += done }
        while !pending.isEmpty, ContinuousClock.now < deadline {
            var polls = pending.map { pollfd(fd: $0, events: Int16(POLLOUT), revents: 0) }
            _ = poll(&polls, nfds_t(polls.count), 200)
            var still: [Int32] = []
            for entry in polls {
                if entry.revents & Int16(POLLOUT) != 0 {
                    var error: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(entry.fd, SOL_SOCKET, SO_ERROR, &error, &length)
                    if error == 0 { done += 1 }
                } else if entry.revents & Int16(POLLERR | POLLHUP) != 0 {
                    continue
                } else {
                    still.append(entry.fd)
                }
            }
            pending = still
        }
    }

    /// Starts a process (`sleep`) that inherits the sockets held here and keeps them open,
    /// then closes this process's copies. The sockets, opened without close-on-exec, pass to
    /// it; every other descriptor is closed in it, so no pipe of a test running beside this
    /// one lives on in the holder (its reader would wait for the holder's end). Every number
    /// below the highest socket is closed, open or not (closing a free one in the child is
    /// harmless), so a pipe another thread makes while this runs is closed there too.
    func handOver() throws {
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sleep"), strdup("600"), nil]
        defer { argv.forEach { free($0) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let flood = Set(sockets)
        let highest = sockets.max() ?? 2
        for fd in Int32(3)..<max(3, highest) where !flood.contains(fd) {
            guard posix_spawn_file_actions_addclose(&actions, fd) == 0 else { throw TestFailure("posix_spawn_file_actions_addclose \(fd)") }
        }
        _ = cl_spawn_close_from(&actions, highest + 1, 0)
        // Not the test's stdout and stderr either: `swift test` waits for every holder of those.
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let result = posix_spawn(&pid, "/bin/sleep", &actions, nil, argv, environ)
        guard result == 0 else { throw TestFailure("posix_spawn /bin/sleep: errno \(result)") }
        holders.append(pid)
        sockets.forEach { Glibc.close($0) }
        sockets = []
        waited = 0
    }

    /// Half a request head on every connection (what a slowloris sends).
    func sendPartialHeads() {
        let head = Array("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n".utf8)
        for fd in sockets {
            _ = head.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
    }

    func close() {
        sockets.forEach { Glibc.close($0) }
        sockets = []
        waited = 0
        for pid in holders {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        holders = []
    }
}

/// A python3 process listening on a free loopback port until stopped.
private struct PortHolder {
    let process = Process()
    let port: Int
    var pid: Int32 { process.processIdentifier }

    init() throws {
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", "import socket, time; s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); "
                             + "print(s.getsockname()[1], flush=True); time.sleep(600)"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw TestFailure("the python3 port holder printed no port: \(line)")
        }
        self.port = port
    }

    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
