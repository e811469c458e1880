import Glibc
import SandboxWire
import Testing
@testable import SandboxRuntime

@Suite("Report channel")
struct ReportChannelTests {
    @Test("records arrive one per line, decodable by the service's side")
    func framing() throws {
        let pipe = Pipe()
        defer { close(pipe.read) }
        ReportChannel.send(.unenforced("cpus 2"), to: pipe.write)
        ReportChannel.send(.message("two\nlines"), to: pipe.write)
        ReportChannel.fail(SetupFailure(step: "mount(proc /proc)", errno: EPERM), to: pipe.write)
        ReportChannel.send(.setupFailure(String(repeating: "long ", count: 2_000)), to: pipe.write)
        ReportChannel.send(.result(ExitRecord(status: 0, reason: .exited, duration: 0.25)), to: pipe.write)
        close(pipe.write)
        let lines = String(decoding: pipe.drain(), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 6 && lines.last == "")
        let records = try lines.dropLast().map { try ReportRecord(line: $0) }
        #expect(records[0] == .unenforced("cpus 2"))
        #expect(records[1] == .message("two lines"))
        #expect(records[2] == .setupFailure("mount(proc /proc): EPERM (Operation not permitted)"))
        #expect(lines[3].utf8.count < ReportRecord.maximumLineLength)
        #expect(records[4] == .result(ExitRecord(status: 0, reason: .exited, duration: 0.25)))
    }
}

@Suite("Errors, clock and trace")
struct FormattingTests {
    @Test("errno values read as their names")
    func errnoNames() {
        #expect(ErrorName.describe(EPERM) == "EPERM (Operation not permitted)")
        #expect(ErrorName.describe(ENOSPC) == "ENOSPC (No space left on device)")
        #expect(ErrorName.describe(ENAMETOOLONG) == "ENAMETOOLONG (File name too long)")
        #expect(ErrorName.describe(EDOM).hasPrefix("errno \(EDOM) ("))
        let failure = SetupFailure(step: "pivot_root", errno: EINVAL)
        #expect(failure.record == .setupFailure("pivot_root: EINVAL (Invalid argument)"))
    }

    @Test("check passes results through and turns -1 into the step's failure")
    func checkResult() throws {
        #expect(try check("fine", 7) == 7)
        errno = EACCES
        #expect(throws: SetupFailure(step: "open x", message: "EACCES (Permission denied)")) { try check("open x", Int32(-1)) }
    }

    @Test("limits are said in whole seconds when they are whole")
    func seconds() {
        #expect(Clock.describe(seconds: 30) == "30s")
        #expect(Clock.describe(seconds: 0) == "0s")
        #expect(Clock.describe(seconds: 0.5) == "0.5s")
        #expect(Clock.describe(seconds: 1e300) == "1e+300s")
        #expect(Clock.describe(seconds: .infinity) == "infs")
    }

    @Test("the monotonic clock in seconds and microseconds")
    func clock() {
        let spec = timespec(tv_sec: 12, tv_nsec: 345_678_999)
        #expect(Clock.microseconds(spec) == 12_345_678)
        #expect(abs(Clock.seconds(spec) - 12.345_678_999) < 1e-9)
        let first = Clock.now()
        #expect(Clock.now() >= first)
    }

    @Test("a trace line is the step and its microseconds")
    func traceLine() {
        #expect(String(decoding: StepTrace.line("clone-start", microseconds: 1_234_567), as: UTF8.self) == "clone-start 1234567\n")
    }
}

@Suite("Payload and namespaces")
struct PayloadTests {
    @Test("the program is looked up on the spec's PATH, else the default one")
    func programLookup() {
        let tree = Scratch()
        defer { tree.remove() }
        tree.directory("a")
        tree.directory("b")
        tree.file("a/tool")                       // not executable: skipped
        tree.file("b/tool")
        chmod(tree.path + "/b/tool", 0o755)
        let path = "PATH=\(tree.path)/missing:\(tree.path)/a:\(tree.path)/b"
        #expect(Payload.resolve("tool", environment: ["HOME=/root", path]) == tree.path + "/b/tool")
        #expect(Payload.resolve("absent", environment: [path]) == "absent")
        #expect(Payload.resolve("./tool", environment: [path]) == "./tool")
        #expect(Payload.resolve("sh", environment: []) == "/usr/bin/sh" || Payload.resolve("sh", environment: []) == "/bin/sh")
        #expect(Payload.defaultPath.split(separator: ":").contains("/usr/local/bin"))
    }

    @Test("a failed clone says how to enable namespaces here")
    func namespaceAdvice() {
        let root = NamespaceAdvice.failure(errno: EPERM, userNamespace: false, exists: { _ in false })
        #expect(root.step == "clone(mount, pid, net, uts, ipc, cgroup namespaces)")
        #expect(root.message.hasPrefix("EPERM (Operation not permitted); inside a container"))
        let user = NamespaceAdvice.failure(errno: ENOSPC, userNamespace: true, exists: { $0.hasSuffix("unprivileged_userns_clone") })
        #expect(user.step == "clone(mount, pid, net, uts, ipc, cgroup, user namespaces)")
        #expect(user.message.hasPrefix("ENOSPC (No space left on device); the namespace count limit is reached"))
        #expect(user.message.contains("kernel.unprivileged_userns_clone=1"))
        #expect(!user.message.contains("apparmor"))
        #expect(user.message.hasSuffix("; or run the service as root"))
    }
}
