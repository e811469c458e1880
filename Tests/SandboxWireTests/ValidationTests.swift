import SandboxWire
import Testing

@Suite("Wire spec validation")
struct ValidationTests {
    static func refusal(_ change: (inout WireSpec) -> Void) -> String? {
        var spec = WireSpec(rootfs: "/rootfs", command: ["/bin/true"])
        change(&spec)
        do {
            try spec.validate()
            return nil
        } catch {
            #expect(error.code == .invalid)
            return error.message
        }
    }

    @Test("a plain spec is accepted, limits at their smallest included")
    func accepted() {
        #expect(Self.refusal { _ in } == nil)
        #expect(Self.refusal {
            $0.memoryBytes = 1 << 20
            $0.pids = 1
            $0.cpus = 1024
            $0.timeout = .leastNonzeroMagnitude
            $0.killGracePeriod = 0
            $0.hostname = String(repeating: "h", count: 64)
            $0.environment = ["A=", "B==", "PATH=/bin"]
            $0.workspace = "/w"
            $0.binds = [.init(source: "/a", destination: "/b", readOnly: true)]
            $0.keepUpperDirectory = "/k"
        } == nil)
    }

    @Test("each rule names what is wrong")
    func refusals() {
        #expect(Self.refusal { $0.command = [] } == "no command given")
        #expect(Self.refusal { $0.command = [""] } == "no command given")
        #expect(Self.refusal { $0.rootfs = "" } == "rootfs must be an absolute path: ")
        #expect(Self.refusal { $0.rootfs = "images/x" } == "rootfs must be an absolute path: images/x")
        #expect(Self.refusal { $0.workspace = "w" } == "workspace must be an absolute path: w")
        #expect(Self.refusal { $0.workspacePath = "src" } == "workspace path must be an absolute path: src")
        #expect(Self.refusal { $0.workingDirectory = "." } == "working directory must be an absolute path: .")
        #expect(Self.refusal { $0.binds = [.init(source: "a", destination: "/b", readOnly: false)] } == "bind source must be an absolute path: a")
        #expect(Self.refusal { $0.binds = [.init(source: "/a", destination: "b", readOnly: false)] } == "bind destination must be an absolute path: b")
        #expect(Self.refusal { $0.keepUpperDirectory = "k" } == "upper directory must be an absolute path: k")
        #expect(Self.refusal { $0.environment = ["=x"] } == "invalid environment variable name ''")
        #expect(Self.refusal { $0.environment = ["NOVALUE"] } == "invalid environment variable name 'NOVALUE'")
        #expect(Self.refusal { $0.hostname = "" } == "hostname must be 1 to 64 bytes")
        #expect(Self.refusal { $0.hostname = String(repeating: "é", count: 33) } == "hostname must be 1 to 64 bytes")
        #expect(Self.refusal { $0.command = ["/bin/sh", "a\0b"] } == "NUL bytes are not allowed in paths, arguments or the environment")
        #expect(Self.refusal { $0.binds = [.init(source: "/a\0", destination: "/b", readOnly: false)] }
            == "NUL bytes are not allowed in paths, arguments or the environment")
        #expect(Self.refusal { $0.memoryBytes = (1 << 20) - 1 } == "memory limit must be at least 1M")
        #expect(Self.refusal { $0.memoryBytes = .min } == "memory limit must be at least 1M")
        #expect(Self.refusal { $0.pids = 0 } == "pids limit must be at least 1")
        #expect(Self.refusal { $0.tmpSizeBytes = 1000 } == "the /tmp size must be at least 1M")
        #expect(Self.refusal { $0.upperSizeBytes = -1 } == "the upper layer size must be at least 1M")
        #expect(Self.refusal { $0.subordinateUIDs = .init(start: 100_000, count: 65_536) } == "give both subordinate uid and gid ranges, or neither")
        #expect(Self.refusal {
            $0.subordinateUIDs = .init(start: 0, count: 65_536)
            $0.subordinateGIDs = .init(start: 100_000, count: 65_536)
        } == "the subordinate uid range 0 65536 is empty, starts at 0 or overflows")
        #expect(Self.refusal {
            $0.subordinateUIDs = .init(start: 100_000, count: 1_000)
            $0.subordinateGIDs = .init(start: 100_000, count: 65_536)
            $0.uid = 1_000
        } == "id 1000 inside is not in the subordinate uid range of 1000 ids")
        #expect(Self.refusal { $0.seccompFilter = [1, 2, 3] } == "the seccomp filter must be 1 to 4096 instructions of 8 bytes, not 3 bytes")
        #expect(Self.refusal { $0.seccompFilter = [] } == "the seccomp filter must be 1 to 4096 instructions of 8 bytes, not 0 bytes")
        for cpus in [0, -1, 1024.5, .nan, .infinity] {
            #expect(Self.refusal { $0.cpus = cpus } == "cpus must be a positive number")
        }
        for timeout in [0, -1, Double.nan] {
            #expect(Self.refusal { $0.timeout = timeout } == "timeout must be positive")
        }
        for grace in [-0.5, Double.nan] {
            #expect(Self.refusal { $0.killGracePeriod = grace } == "kill grace period must not be negative")
        }
    }
}
