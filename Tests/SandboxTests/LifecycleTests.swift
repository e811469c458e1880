import Foundation
import Testing
import SlipwayCore
import SlipwayTestSupport
@testable import Sandbox

/// Output, exit status, cancellation and setup errors.
@Suite("Lifecycle", .tags(.medium))
struct LifecycleTests {
    @Test("stdout and stderr stream line by line; the status is the command's", arguments: SandboxRun.Mode.availableCases)
    func outputAndStatus(mode: SandboxRun.Mode) throws {
        let run = try SandboxRun.run(mode, "echo one; echo two >&2; printf three; echo $GREETING; exit 7") {
            $0.environment["GREETING"] = "hello"
        }
        #expect(run.stdout == "one\nthreehello")
        #expect(run.stderr == "two")
        #expect(run.result.status == 7)
        #expect(run.result.reason == .exited)
    }

    @Test("only the spec's environment reaches the command")
    func cleanEnvironment() throws {
        setenv("SLIPWAY_TEST_LEAK", "leaked", 1)
        let run = try SandboxRun.run(.root, "env")
        #expect(!run.stdout.contains("leaked"))
        #expect(run.stdout.split(separator: "\n").sorted() == ["PATH=/bin", "PWD=/", "SHLVL=1"].map { Substring($0) } ||
                !run.stdout.contains("SLIPWAY"))
    }

    @Test("inherited file descriptors are closed")
    func inheritedDescriptorsClosed() throws {
        let fd = open("/dev/null", O_RDONLY)
        defer { close(fd) }
        let run = try SandboxRun.run(.root, "ls /proc/self/fd")
        #expect(run.stdout.split(separator: "\n").sorted() == ["0", "1", "2", "3"])
    }

    @Test("cancel ends a running sandbox")
    func cancel() throws {
        let spec = SandboxRun.spec(.root, "sleep 30")
        let running = try Sandbox.start(spec) { _ in }
        let started = Date()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { running.cancel() }
        let result = try running.wait()
        #expect(result.reason == .cancelled)
        #expect(Date().timeIntervalSince(started) < 5)
        running.cancel()
    }

    @Test("a missing command exits 127 with a message")
    func missingCommand() throws {
        var spec = SandboxRun.spec(.root, "")
        spec.command = ["/bin/does-not-exist"]
        let run = try SandboxRun.run(spec)
        #expect(run.result.status == 127)
        #expect(run.stderr.contains("does-not-exist"))
    }

    @Test("a setup failure names the failing step")
    func setupFailureTagged() throws {
        var spec = SandboxRun.spec(.root, "true")
        spec.binds = [.init(source: BusyboxRootfs.base + "/no-such-dir", destination: "/data")]
        #expect { try SandboxRun.run(spec) } throws: { error in
            "\(error)".contains("open bind source") && "\(error)".contains("ENOENT")
        }
    }

    @Test("bad specs are refused before anything runs")
    func validation() throws {
        var spec = SandboxRun.spec(.root, "true")
        spec.workspace = "relative/path"
        #expect(throws: SlipwayError.self) { try Sandbox.run(spec) { _ in } }
        spec = SandboxRun.spec(.root, "true")
        spec.environment["A=B"] = "c"
        #expect(throws: SlipwayError.self) { try Sandbox.run(spec) { _ in } }
    }

    @Test("the kept upper directory holds the sandbox's changes; the image does not")
    func keepUpper() throws {
        let keep = try BusyboxRootfs.scratch("upper")
        _ = try SandboxRun.run(.root, "echo changed > /etc/changed") { $0.keepUpperDirectory = keep.path }
        #expect((try? String(contentsOfFile: keep.path + "/upper/etc/changed", encoding: .utf8)) == "changed\n")
        #expect(!FileManager.default.fileExists(atPath: BusyboxRootfs.root + "/etc/changed"))
    }
}
