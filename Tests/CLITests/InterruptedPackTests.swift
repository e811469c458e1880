import Foundation
import SlipwayTestSupport
import Testing

/// An `artifact pack` stopped part way leaves nothing in the store: Ctrl-C removes its
/// partial blob before it exits, and the partial blob of one that was killed is removed by
/// the next pack and by gc.
@Suite(.tags(.large), .serialized) struct InterruptedPackTests {
    let directory: TemporaryDirectory
    var dir: String { directory.path }
    var home: String { dir + "/home" }
    var staging: String { home + "/store/tmp" }

    init() throws {
        directory = try TemporaryDirectory("slipway-interrupt")
        try FileManager.default.createDirectory(atPath: dir + "/big", withIntermediateDirectories: true)
        // Incompressible, and packed at zstd's slowest level: the pack takes many seconds, so
        // it is still writing when the signal comes, however loaded the machine is.
        let made = try Program.run("/bin/sh", ["-c", "head -c 64M /dev/urandom > '\(dir)/big/part'"])
        #expect(made.status == 0)
        try FileManager.default.createDirectory(atPath: dir + "/small", withIntermediateDirectories: true)
        try Data("small\n".utf8).write(to: URL(fileURLWithPath: dir + "/small/index.html"))
    }

    var stagingFiles: [String] { (try? FileManager.default.contentsOfDirectory(atPath: staging)) ?? [] }

    /// Starts `slipway artifact pack big`, waits until its staging file exists, sends `signal`;
    /// returns the exit status. The waits run on a thread of their own: on the cooperative pool,
    /// other suites' blocking work could hold them until the pack had finished.
    func interruptedPack(_ signal: Int32) async throws -> Int32 {
        let (arguments, home) = (["artifact", "pack", dir + "/big", "--level", "19"], home)
        let staging = staging
        return try await offPool {
            let process = try SlipwayCommand(home: home).start(arguments)
            defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
            try blockUntil("the pack's staging file", timeout: .seconds(30), every: .milliseconds(5)) {
                !((try? FileManager.default.contentsOfDirectory(atPath: staging)) ?? []).isEmpty || !process.isRunning
            }
            guard process.isRunning else { throw TestFailure("the pack ended before it was interrupted: status \(process.terminationStatus)") }
            kill(process.processIdentifier, signal)
            try blockUntil("the pack to end", timeout: .seconds(30)) { !process.isRunning }
            return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        }
    }

    @Test
    func ctrlCLeavesNoTemporaryFile() async throws {
        let interrupted = try await interruptedPack(SIGINT)
        #expect(interrupted == 130)
        #expect(stagingFiles.isEmpty, "\(stagingFiles)")
        let terminated = try await interruptedPack(SIGTERM)
        #expect(terminated == 143)
        #expect(stagingFiles.isEmpty, "\(stagingFiles)")
        let list = try SlipwayCommand(home: home).run(["artifact", "ls", "--json"])
        #expect((try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [Any])?.isEmpty == true, "\(list.stdout)")
    }

    @Test func aKilledPacksFileIsRemovedByTheNextPackAndByGC() async throws {
        #expect(try await interruptedPack(SIGKILL) == 128 + SIGKILL)
        #expect(stagingFiles.count == 1)
        let next = try SlipwayCommand(home: home).run(["artifact", "pack", dir + "/small"])
        #expect(next.status == 0, "\(next)")
        #expect(stagingFiles.isEmpty, "\(stagingFiles)")

        #expect(try await interruptedPack(SIGKILL) == 128 + SIGKILL)
        #expect(stagingFiles.count == 1)
        let gc = try SlipwayCommand(home: home).run(["artifact", "gc", "--json"])
        #expect(gc.status == 0, "\(gc)")
        #expect(gc.stdout.contains("staging file of a process that is gone"), "\(gc.stdout)")
        #expect(stagingFiles.isEmpty, "\(stagingFiles)")
    }
}
