import Foundation
import SandboxWire
import Testing
@testable import Sandbox

/// The service's side of the wire: what a `SandboxSpec` becomes, what is refused before the
/// helper starts, and how the helper's report turns into a result or an error.
@Suite("Sandbox spec on the wire")
struct SpecWireTests {
    @Test("every SandboxSpec field reaches the helper, byte for byte as the format says")
    func mapping() throws {
        let json = """
            {"rootfs": "/images/x", "command": ["make", "-j2"], "environment": {"Z": "last", "A": "first=1"},
             "workspace": "/srv/ws", "workspacePath": "/src", "binds": [{"source": "/cache", "destination": "/root/.cache", "readOnly": true},
             {"source": "/same", "destination": "/same", "readOnly": false}], "network": "host", "hostname": "builder",
             "memoryBytes": 1073741824, "pids": 10, "cpus": 0.5, "timeout": 60, "killGracePeriod": 1, "uid": 5, "gid": 6,
             "keepUpperDirectory": "/keep", "tmpSizeBytes": 1048576, "upperSizeBytes": 2097152, "seccomp": "unconfined"}
            """
        var spec = try JSONDecoder().decode(SandboxSpec.self, from: Data(json.utf8))
        let golden = ["rootfs", "/images/x", "arg", "make", "arg", "-j2", "env", "A=first=1", "env", "Z=last",
                      "workspace", "/srv/ws", "workspace-path", "/src", "workdir", "/src",
                      "bind-ro", "/cache", "bind-to", "/root/.cache", "bind-rw", "/same", "network", "host", "hostname", "builder",
                      "memory", "1073741824", "pids", "10", "cpus", "0.5", "timeout", "60.0", "kill-grace", "1.0",
                      "uid", "5", "gid", "6", "keep-upper", "/keep",
                      "tmp-size", "1048576", "upper-size", "2097152"].flatMap { (field: String) -> [UInt8] in Array(field.utf8) + [0] }
        #expect(try spec.plainWire.encoded() == golden)
        #expect(try WireSpec(decoding: golden) == spec.plainWire)
        spec.workingDirectory = "/elsewhere"
        #expect(spec.plainWire.workingDirectory == "/elsewhere")
        #expect(SandboxSpec(rootfs: "/r", command: ["x"]).plainWire.workingDirectory == "/")
        #expect(!SandboxSpec(rootfs: "/r", command: ["x"]).plainWire.hostNetwork)
    }

    static func refusal(_ change: (inout SandboxSpec) -> Void) -> String? {
        var spec = SandboxSpec(rootfs: "/", command: ["/bin/true"])
        change(&spec)
        do {
            try spec.validate(spec.plainWire)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test("invalid specs are refused before anything is spawned")
    func validation() {
        #expect(Self.refusal { _ in } == nil)
        #expect(Self.refusal { $0.command = [] }?.contains("sandbox: no command given") == true)
        #expect(Self.refusal { $0.environment = ["A=B": "x"] }?.contains("sandbox: invalid environment variable name 'A=B'") == true)
        #expect(Self.refusal { $0.environment = ["": "x"] }?.contains("sandbox: invalid environment variable name ''") == true)
        #expect(Self.refusal { $0.workingDirectory = "rel" }?.contains("sandbox: working directory must be an absolute path: rel") == true)
        #expect(Self.refusal { $0.pids = 0 }?.contains("sandbox: pids limit must be at least 1") == true)
        #expect(Self.refusal { $0.rootfs = "/nonexistent-rootfs" }?.contains("sandbox: rootfs /nonexistent-rootfs is not a directory") == true)
        #expect(Self.refusal { $0.command = ["/bin/sh", "-c", "a\0b"] }?.contains("NUL bytes are not allowed") == true)
    }

    static func outcome(_ lines: [String], status: Int32 = 0) -> Result<SandboxResult, Error> {
        var report = HelperReport()
        for line in lines { report.consume(line) }
        return Result { try report.outcome(helperStatus: status) }
    }

    @Test("a report becomes the sandbox's result")
    func reportToResult() throws {
        let result = try Self.outcome(["unenforced cpus 2 not enforced", "message killed: the memory limit of 64 MiB was exceeded",
                                       "result 137 outOfMemory 0.5"]).get()
        #expect(result.status == 137 && result.reason == .outOfMemory && result.duration == 0.5)
        #expect(result.unenforcedLimits == ["cpus 2 not enforced"])
        #expect(result.message == "killed: the memory limit of 64 MiB was exceeded")
        for reason in ExitRecord.Reason.allCases {
            #expect(SandboxResult.Reason(reason).rawValue == reason.rawValue)
        }
    }

    @Test("a setup failure, a missing result and unreadable lines become errors that say so")
    func reportToError() {
        guard case .failure(let setup) = Self.outcome(["error mount(proc /proc): EPERM (Operation not permitted)", "result 0 exited 0"]) else {
            Issue.record("a setup failure gave a result")
            return
        }
        #expect("\(setup)".contains("sandbox setup failed: mount(proc /proc): EPERM (Operation not permitted)"))
        guard case .failure(let missing) = Self.outcome(["noise from elsewhere", "result 0 exited"], status: 256) else {
            Issue.record("a report without a result gave a result")
            return
        }
        #expect("\(missing)".contains("sandbox helper ended (status 256) without a result (unreadable report: unknown report record 'noise from elsewhere'; malformed result record '0 exited'"))
    }
}
