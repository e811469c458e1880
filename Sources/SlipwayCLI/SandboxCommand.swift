import ArgumentParser
import Foundation
import Images
import Sandbox
import SlipwayCore

struct SandboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox", abstract: "Run a command in an isolated sandbox.",
        subcommands: [Run.self, Bench.self])

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration.direct("run", parent: "slipway sandbox",
            abstract: "Run CMD in a sandbox over an image; the exit status is the command's.",
            discussion: """
                The workspace appears at /workspace and is the working directory. Exit status: the \
                command's; 124 on timeout; 137 when killed for exceeding --memory or reaching --pids; \
                1 when /tmp or the upper layer was left full (--tmp-size, --upper-size); 1 or 2 when \
                the sandbox could not be set up.
                """)

        @Option(help: "An imported image (see `slipway image ls`).") var image: String?
        @Option(help: "A root filesystem directory to use instead of an image.") var rootfs: String?
        @Option(help: "Host directory mounted read-write at /workspace.") var workspace: String?
        @Option(help: "Extra bind mount SRC:DST[:ro] (repeatable).") var bind: [String] = []
        @Option(help: "none (loopback only, default) or host.") var network: SandboxSpec.Network = .none
        @Option(help: "Memory limit, e.g. 512M.") var memory: ByteCount?
        @Option(help: "Maximum number of processes.") var pids: Int?
        @Option(help: "CPU limit in cores, e.g. 1.5.") var cpus: Double?
        @Option(help: "Size of /tmp, e.g. 512M (default: half the RAM, the kernel's).") var tmpSize: ByteCount?
        @Option(help: "Space for writes outside the workspace, binds and /tmp, e.g. 2G.") var upperSize: ByteCount?
        @Option(help: "default (the seccomp filter) or unconfined.") var seccomp: SandboxSpec.Seccomp = .default
        @Option(help: "Wall-clock limit, e.g. 30s, 10m, 500ms.") var timeout: SandboxDuration?
        @Option(help: "Environment variable K=V (repeatable); nothing else is inherited.") var env: [String] = []
        @Argument(parsing: .postTerminator, help: "The command and its arguments, after --.") var command: [String] = []

        /// What was given, for `SandboxRunOptions` to run.
        var options: SandboxRunOptions {
            SandboxRunOptions(image: image, rootfs: rootfs, workspace: workspace, bind: bind, network: network,
                              memory: memory?.bytes, pids: pids, cpus: cpus, tmpSize: tmpSize?.bytes,
                              upperSize: upperSize?.bytes, seccomp: seccomp, timeout: timeout?.seconds, env: env,
                              command: command)
        }

        func run() throws {
            try options.run()
        }
    }

    /// Launch and teardown cost: N sandboxes running CMD one after another from this process.
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "bench",
            abstract: "Start N sandboxes one after another and print per-run timings (for benchmarks/sandbox.sh).")

        @Option(help: "An imported image.") var image: String?
        @Option(help: "A root filesystem directory.") var rootfs: String?
        @Option(name: .short, help: "Number of runs.") var n = 100
        @Flag(help: "Time the command itself, unsandboxed, with the same spawn-and-wait loop (for baselines such as bwrap).")
        var external = false
        @Flag(help: "Print the median time from the start of a run to each step of the sandbox's setup and teardown.")
        var trace = false
        @Argument(parsing: .postTerminator, help: "The command, after -- (default /bin/true).") var command: [String] = []

        func run() throws {
            var arguments = command.first == "--" ? Array(command.dropFirst()) : command
            if arguments.isEmpty { arguments = ["/bin/true"] }
            var times: [Double] = []
            if external {
                for _ in 0..<max(1, n) { times.append(try Self.timeExternal(arguments)) }
            } else {
                let spec = SandboxSpec(rootfs: try resolveRootfs(image: image, rootfs: rootfs), command: arguments)
                let steps = trace ? try StepTraceFile() : nil
                for _ in 0..<max(1, n) {
                    let start = DispatchTime.now().uptimeNanoseconds
                    steps?.mark("service-start")
                    let running = try Sandbox.start(spec) { _ in }
                    steps?.mark("service-spawned")
                    let result = try running.wait()
                    steps?.mark("service-done")
                    times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                    guard result.status == 0 else { throw SlipwayError.failed("sandbox run exited with \(result.status)") }
                }
                if let steps { print(try steps.summary()) }
            }
            times.sort()
            let median = times[times.count / 2]
            print(String(format: "runs %d median_ms %.3f p90_ms %.3f min_ms %.3f", times.count, median,
                         times[min(times.count - 1, times.count * 9 / 10)], times[0]))
        }

        /// posix_spawn and wait for one run of `arguments`, in milliseconds.
        static func timeExternal(_ arguments: [String]) throws -> Double {
            let argv = arguments.map { strdup($0) } + [nil]
            defer { argv.forEach { free($0) } }
            let start = DispatchTime.now().uptimeNanoseconds
            var pid: pid_t = 0
            let spawned = posix_spawnp(&pid, arguments[0], nil, nil, argv, environ)
            guard spawned == 0 else { throw SlipwayError.system("spawn \(arguments[0])", errno: spawned) }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            guard status == 0 else { throw SlipwayError.failed("\(arguments.joined(separator: " ")) failed (wait status \(status))") }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        }
    }
}

/// The trace file of `sandbox bench --trace`: the helper's processes append `step microseconds`
/// lines to it (see `SLIPWAY_SANDBOX_TRACE`), the bench adds its own marks around each run.
private final class StepTraceFile {
    let path: String
    private let fd: Int32

    init() throws {
        path = NSTemporaryDirectory() + "slipway-sandbox-trace-\(getpid())"
        unlink(path)
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SlipwayError.system("open \(path)") }
        setenv("SLIPWAY_SANDBOX_TRACE", path, 1)
    }

    deinit {
        close(fd)
        unlink(path)
        unsetenv("SLIPWAY_SANDBOX_TRACE")
    }

    func mark(_ step: String) {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let line = Array("\(step) \(Int(now.tv_sec) * 1_000_000 + Int(now.tv_nsec) / 1_000)\n".utf8)
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    /// Median microseconds from `service-start` to each step, in order of that median.
    func summary() throws -> String {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var offsets: [String: [Int]] = [:]
        var start = 0
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let time = Int(parts[1]) else { continue }
            if parts[0] == "service-start" { start = time }
            offsets[String(parts[0]), default: []].append(time - start)
        }
        let medians = offsets.mapValues { $0.sorted()[$0.count / 2] }.sorted { $0.value < $1.value }
        var previous = 0
        var lines = ["step                 median_us  delta_us"]
        for (step, median) in medians {
            lines.append(step.padding(toLength: 20, withPad: " ", startingAt: 0)
                         + String(format: " %9d %9d", median, median - previous))
            previous = median
        }
        return lines.joined(separator: "\n")
    }
}

/// The sandbox root: `--rootfs` as given, else the imported image's unpacked root.
private func resolveRootfs(image: String?, rootfs: String?) throws -> String {
    if let rootfs { return SlipwayHome.absolute(rootfs) }
    guard let image else { throw ValidationError("give --image NAME or --rootfs DIR") }
    return try ImageStore(home: .fromEnvironment()).resolve(image).rootfs
}

extension SandboxSpec.Network: ExpressibleByArgument {}

/// A duration on the command line: 30s, 10m, 1h, 500ms, or plain seconds.
struct SandboxDuration: ExpressibleByArgument {
    var seconds: Double

    init?(argument: String) {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where argument.hasSuffix(suffix) {
            guard let value = Double(argument.dropLast(suffix.count)), value > 0 else { return nil }
            seconds = value * scale
            return
        }
        guard let value = Double(argument), value > 0 else { return nil }
        seconds = value
    }
}
extension SandboxSpec.Seccomp: ExpressibleByArgument {}

/// `slipway sandbox run`'s options, from the parser (`SandboxCommand.Run`) or, in their plain
/// forms, from `HotCommand`.
struct SandboxRunOptions: Equatable {
    static let optionNames = ["image", "rootfs", "workspace", "bind", "network", "memory", "pids", "cpus",
                                           "tmp-size", "upper-size", "seccomp", "timeout", "env"]

    var image: String?
    var rootfs: String?
    var workspace: String?
    var bind: [String] = []
    var network: SandboxSpec.Network = .none
    var memory: Int64?
    var pids: Int?
    var cpus: Double?
    var tmpSize: Int64?
    var upperSize: Int64?
    var seccomp: SandboxSpec.Seccomp = .default
    var timeout: Double?
    var env: [String] = []
    var command: [String] = []

    var arguments: [String] { command.first == "--" ? Array(command.dropFirst()) : command }

    /// The checks that need nothing but the options: a command, K=V pairs, well-formed binds.
    func validate() throws {
        guard !arguments.isEmpty else { throw ValidationError("give the command after --") }
        for pair in env {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw ValidationError("--env wants K=V, got '\(pair)'")
            }
        }
        for text in bind { _ = try Self.parseBind(text) }
    }

    func run() throws {
        let spec = try makeSpec()
        let result = try Sandbox.run(spec) { line in
            (line.stream == .stdout ? FileHandle.standardOutput : FileHandle.standardError).write(Data((line.text + "\n").utf8))
        }
        for limit in result.unenforcedLimits { Terminal.note("slipway sandbox: warning: \(limit)") }
        if let message = result.message { Terminal.note("slipway sandbox: \(message)") }
        throw ExitCode(result.status)
    }

    func makeSpec() throws -> SandboxSpec {
        try validate()
        var spec = SandboxSpec(rootfs: try resolveRootfs(image: image, rootfs: rootfs), command: arguments)
        spec.workspace = workspace.map(SlipwayHome.absolute)
        spec.binds = try bind.map(Self.parseBind)
        spec.network = network
        spec.memoryBytes = memory
        spec.pids = pids
        spec.cpus = cpus
        spec.tmpSizeBytes = tmpSize
        spec.upperSizeBytes = upperSize
        spec.seccomp = seccomp
        spec.timeout = timeout
        spec.environment = ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root"]
        for pair in env {
            let equals = pair.firstIndex(of: "=")!
            spec.environment[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        return spec
    }

    static func parseBind(_ text: String) throws -> SandboxSpec.Bind {
        var parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var readOnly = false
        if parts.count == 3, parts[2] == "ro" || parts[2] == "rw" { readOnly = parts.removeLast() == "ro" }
        guard parts.count == 2, !parts[0].isEmpty, parts[1].hasPrefix("/") else {
            throw ValidationError("--bind wants SRC:DST[:ro] with an absolute DST, got '\(text)'")
        }
        return SandboxSpec.Bind(source: SlipwayHome.absolute(parts[0]), destination: parts[1], readOnly: readOnly)
    }
}

extension SandboxRunOptions {
    /// Read as the parser reads each option's type; nil where one does not read.
    init?(_ plain: PlainArguments) {
        guard let network = plain.value("network", SandboxSpec.Network.init(rawValue:)),
              let seccomp = plain.value("seccomp", SandboxSpec.Seccomp.init(rawValue:)),
              let memory = plain.value("memory", { ByteCount(argument: $0)?.bytes }), let pids = plain.value("pids", { Int($0) }),
              let cpus = plain.value("cpus", { Double($0) }), let tmpSize = plain.value("tmp-size", { ByteCount(argument: $0)?.bytes }),
              let upperSize = plain.value("upper-size", { ByteCount(argument: $0)?.bytes }),
              let timeout = plain.value("timeout", { SandboxDuration(argument: $0)?.seconds }) else { return nil }
        self.init(image: plain.value("image"), rootfs: plain.value("rootfs"), workspace: plain.value("workspace"),
                  bind: plain.all("bind"), network: network ?? .none, memory: memory, pids: pids, cpus: cpus,
                  tmpSize: tmpSize, upperSize: upperSize, seccomp: seccomp ?? .default, timeout: timeout,
                  env: plain.all("env"), command: plain.command)
    }
}
