import Foundation
@testable import SlipwayCore
import SlipwayTestSupport
import Testing


@Suite(.tags(.small)) struct CommandTests {
    static func sh(_ script: String, input: Command.Input = .null, stdout: Command.Output = .pipe,
                   stderr: Command.Output = .stdout) -> Command {
        Command(["/bin/sh", "-c", script], input: input, stdout: stdout, stderr: stderr)
    }

    @Test func mergedOutputIsOnePipeInOrder() throws {
        var lines: [String] = []
        let ending = try Self.sh("echo one; echo two >/dev/stderr; echo three >&2; readlink /proc/self/fd/1; readlink /proc/self/fd/2")
            .runLines { lines.append($1) }
        #expect(ending == .exited(0))
        #expect(Array(lines.prefix(3)) == ["one", "two", "three"])
        // Real pipes, not sockets: /dev/stderr can be opened.
        #expect(lines.count == 5 && lines[3].hasPrefix("pipe:") && lines[3] == lines[4], "\(lines)")
    }

    @Test func separateStreamsStaySeparate() throws {
        let outcome = try Self.sh("echo out; echo err >/dev/stderr; exit 3", stderr: .pipe).run()
        #expect(outcome.ending == .exited(3))
        #expect(String(decoding: outcome.stdout, as: UTF8.self) == "out\n")
        #expect(String(decoding: outcome.stderr, as: UTF8.self) == "err\n")
    }

    @Test func nullAndDescriptorOutputs() throws {
        let path = FileManager.default.temporaryDirectory.path + "/slipway-command-\(UUID().uuidString)"
        defer { unlink(path) }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        #expect(fd >= 0)
        let outcome = try Self.sh("echo to-file; echo dropped >&2", stdout: .descriptor(fd), stderr: .null).run()
        close(fd)
        #expect(outcome.ending == .exited(0) && outcome.stdout.isEmpty && outcome.stderr.isEmpty)
        #expect((try? String(contentsOfFile: path, encoding: .utf8)) == "to-file\n")
    }

    @Test func signalDeathIs128PlusTheSignal() throws {
        #expect(try Self.sh("kill -TERM $$").run().ending == .exited(128 + SIGTERM))
        #expect(try Self.sh("kill -KILL $$").run().ending == .exited(128 + SIGKILL))
    }

    @Test func signalsStartAtTheirDefaults() throws {
        // This process ignores SIGPIPE (writes to a gone child fail with EPIPE); its children
        // start with nothing ignored and nothing blocked.
        _ = try Command(["/bin/true"], input: .pipe).run()
        let outcome = try Self.sh("grep -E '^Sig(Ign|Blk)' /proc/self/status").run()
        let text = String(decoding: outcome.stdout, as: UTF8.self)
        // Signals 1-31; glibc keeps 32 and 33 for its threads.
        func mask(_ name: String) -> UInt64? {
            text.split(separator: "\n").first { $0.hasPrefix(name + ":") }
                .flatMap { UInt64($0.split(separator: "\t").last ?? "", radix: 16) }.map { $0 & 0x7fff_ffff }
        }
        #expect(mask("SigBlk") == 0, "\(text)")
        #expect(mask("SigIgn") == 0, "\(text)")
    }

    @Test func bytesInputIsFedWhileOutputIsRead() throws {
        // 4 MiB through `cat`: far beyond a pipe's buffer both ways, so writing everything
        // before reading would deadlock.
        let input = (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let outcome = try Command(["/bin/cat"], input: .bytes(input)).run(timeout: 30)
        #expect(outcome.ending == .exited(0))
        #expect(outcome.stdout == input)
    }

    @Test func sendStreamsInputWhileOutputIsRead() throws {
        let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
        let child = try Command(["/bin/sh", "-c", "cat; echo done >&2"], input: .pipe, stderr: .pipe).spawn()
        for _ in 0..<4 { try chunk.withUnsafeBytes { try child.send($0) } }
        child.closeInput()
        var out = 0
        var err: [UInt8] = []
        let ending = child.pump(deadline: Date().addingTimeInterval(30)) { stream, bytes in
            if stream == .stdout { out += bytes.count } else { err += bytes }
        }
        #expect(ending == .exited(0))
        #expect(out == 4 << 20)
        #expect(String(decoding: err, as: UTF8.self) == "done\n")
    }

    @Test func sendToAnExitedChildThrowsInsteadOfKillingUs() throws {
        let child = try Command(["/bin/true"], input: .pipe).spawn()
        child.wait()
        let chunk = [UInt8](repeating: 0, count: 1 << 20)
        #expect(throws: SlipwayError.self) { try chunk.withUnsafeBytes { try child.send($0) } }
        #expect(child.pump { _, _ in } == .exited(0))
    }

    @Test func readLineThenPumpTheRest() throws {
        let child = try Self.sh("echo one; echo err >&2; echo two; cat >/dev/null; echo three", input: .pipe, stderr: .pipe).spawn()
        #expect(child.readLine(deadline: Date().addingTimeInterval(10)) == "one")
        #expect(child.readLine(deadline: Date().addingTimeInterval(10)) == "two")
        // Nothing more until stdin closes.
        #expect(child.readLine(deadline: Date().addingTimeInterval(0.2)) == nil)
        var lines: [String] = []
        let ending = child.pumpLines(deadline: Date().addingTimeInterval(10)) { lines.append("\($0 == .stdout ? "out" : "err"):\($1)") }
        #expect(ending == .exited(0))
        #expect(lines == ["err:err", "out:three"])
    }

    @Test(.tags(.medium)) func timeoutKillsTheWholeProcessGroup() throws {
        let child = try Self.sh("sleep 300 & echo $!; sleep 300").spawn()
        let background = try #require(child.readLine(deadline: Date().addingTimeInterval(10)).flatMap { Int32($0) })
        let started = Date()
        let ending = child.pump(deadline: Date().addingTimeInterval(0.5)) { _, _ in }
        #expect(ending == .timedOut)
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(waitUntilGone(background), "the background sleep survived")
    }

    @Test(.tags(.medium)) func outputHeldOpenStopsAfterTheGrace() throws {
        let pidFile = FileManager.default.temporaryDirectory.path + "/slipway-held-\(UUID().uuidString)"
        defer { unlink(pidFile) }
        let started = Date()
        var lines: [String] = []
        let ending = try Self.sh("setsid sleep 60 & echo $! > \(pidFile); echo started; exit 4").runLines(timeout: 30, grace: 0.5) { lines.append($1) }
        let daemon = Int32((try? String(contentsOfFile: pidFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "")
        if let daemon { kill(daemon, SIGKILL) }
        #expect(ending == .outputHeldOpen(4))
        #expect(lines == ["started"])
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test(.tags(.medium)) func signalFromAnotherThreadReachesTheGroup() throws {
        let child = try Self.sh("sleep 300").spawn()
        let thread = Thread { usleep(200_000); child.signal(SIGTERM) }
        thread.start()
        let ending = child.pump(deadline: Date().addingTimeInterval(30)) { _, _ in }
        // sh forwards nothing: the group signal reached `sleep` and sh alike.
        #expect(ending == .exited(128 + SIGTERM))
        child.signal(SIGKILL)  // reaped: a no-op
    }

    /// Waiting costs a few wake-ups, not one every few milliseconds: the pump sleeps in poll on
    /// the pipes and the child's pidfd.
    @Test(.tags(.medium)) func waitingDoesNotSpin() throws {
        let before = threadUsage()
        // The child runs 1 s with its output open, then exits while a daemon holds the
        // output for the 1 s grace.
        let ending = try Self.sh("sleep 1; setsid sleep 5 & exit 0").runLines(timeout: 30, grace: 1) { _, _ in }
        let after = threadUsage()
        #expect(ending == .outputHeldOpen(0))
        #expect(after.wakeups - before.wakeups < 20, "\(after.wakeups - before.wakeups) wake-ups in 2 s")
        #expect(after.cpu - before.cpu < 0.1)
    }

    @Test func childHoldsOnlyTheStandardDescriptors() throws {
        // A listening socket opened without close-on-exec, as a library might.
        let leaky = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(leaky >= 0)
        defer { close(leaky) }
        let plain = open("/dev/null", O_RDONLY)  // no O_CLOEXEC either
        defer { close(plain) }
        for listed in [false, true] {
            let child = try Command(["/bin/sleep", "30"]).spawn(closingListedDescriptors: listed)
            defer { child.signal(SIGKILL); child.wait() }
            // sleep may hold a file for a moment while it starts (its locale): a leaked
            // descriptor stays, so the list is read until it settles.
            var fds: [String] = []
            for _ in 0..<100 {
                fds = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(child.pid)/fd").sorted()
                if fds == ["0", "1", "2"] { break }
                usleep(20_000)
            }
            #expect(fds == ["0", "1", "2"], "closing listed: \(listed)")
        }
    }

    /// Every way a run ends closes the descriptors it made, once: a child read to the end, one
    /// fed bytes or none, a stdin closed twice, one killed at its deadline, one that could not
    /// start. A second close would take a number another thread was given meanwhile.
    @Test func runsCloseOnlyTheirOwnDescriptors() throws {
        let strays = try StrayCloseDetector.count {
            for _ in 0..<15 { try Self.runEachWay() }
        }
        #expect(strays == 0, "descriptors closed by someone who no longer owned them")
    }

    private static func runEachWay() throws {
        _ = try sh("echo out; echo err >&2", stderr: .pipe).run()
        _ = try sh("cat", input: .bytes(Array("fed\n".utf8))).run()
        _ = try sh("cat", input: .bytes([])).run()
        let child = try sh("cat", input: .pipe).spawn()
        try Array("x\n".utf8).withUnsafeBytes { try child.send($0) }
        _ = child.readLine(deadline: Date().addingTimeInterval(10))
        child.closeInput()
        child.closeInput()
        _ = child.pump { _, _ in }
        _ = try sh("sleep 5").run(timeout: 0.02)
        _ = try? Command(["/nonexistent/program"], input: .pipe, stderr: .pipe).spawn()
    }

    @Test func spawnFailureSaysWhat() throws {
        #expect(throws: SlipwayError.self) { try Command(["/nonexistent/program"]).spawn() }
        // Nothing leaked by the failed spawn.
        let before = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count
        for _ in 0..<20 { _ = try? Command(["/nonexistent/program"], input: .pipe, stderr: .pipe).spawn() }
        let after = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count
        #expect(after - before < 5)
    }
}

/// Voluntary context switches and CPU seconds of the calling thread.
func threadUsage() -> (wakeups: Int, cpu: Double) {
    let status = (try? String(contentsOfFile: "/proc/thread-self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("voluntary_ctxt_switches:") }
    let wakeups = line.flatMap { Int($0.split(separator: "\t").last ?? "") } ?? 0
    let schedstat = (try? String(contentsOfFile: "/proc/thread-self/schedstat", encoding: .utf8)) ?? "0"
    let nanoseconds = Double(schedstat.split(separator: " ").first ?? "0") ?? 0
    return (wakeups, nanoseconds / 1e9)
}

/// Waits up to 5 s for `pid` to be gone (or a zombie nobody reaps).
func waitUntilGone(_ pid: pid_t) -> Bool {
    for _ in 0..<100 {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        let state = stat[stat.index(close, offsetBy: 2)]
        if state == "Z" || state == "X" { return true }
        usleep(50_000)
    }
    return false
}
