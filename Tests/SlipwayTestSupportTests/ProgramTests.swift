import Foundation
import SlipwayTestSupport
import Testing

@Suite(.tags(.small)) struct ProgramTests {
    /// A child that fills the stderr pipe before writing stdout stalls a runner that reads
    /// stdout to its end first; both streams are read at once, so this finishes.
    @Test func bothStreamsAreReadAtOnce() throws {
        let script = "head -c 1048576 /dev/zero >&2; echo out"
        let output = try Program.run("/bin/sh", ["-c", script], timeout: .seconds(20))
        #expect(output.succeeded)
        #expect(output.stdout == "out\n")
        #expect(output.stderr.utf8.count == 1 << 20)
    }

    @Test func aCommandPastItsDeadlineIsKilledAndReported() throws {
        let started = ContinuousClock.now
        #expect {
            try Program.run("/bin/sh", ["-c", "echo started; exec sleep 300"], timeout: .milliseconds(300))
        } throws: { error in
            let message = "\(error)"
            return message.contains("did not finish in") && message.contains("started")
        }
        #expect(ContinuousClock.now - started < .seconds(60), "killed at its deadline, not after the sleep")
    }

    @Test func statusEnvironmentAndDirectory() throws {
        let directory = try TemporaryDirectory()
        let output = try Program.run("/bin/sh", ["-c", "pwd; echo \"$GREETING\"; exit 3"], environment: ["GREETING": "hi"],
                                     directory: directory.path)
        #expect(output.status == 3 && !output.succeeded)
        #expect(output.stdout == directory.path + "\nhi\n")
        let killed = try Program.run("/bin/sh", ["-c", "kill -9 $$"])
        #expect(killed.status == 128 + SIGKILL)
        #expect { try Program.output("/bin/sh", ["-c", "echo why >&2; exit 1"]) } throws: { "\($0)".contains("why") }
    }

    @Test func theSlipwayBinaryIsFoundBesideTheTests() throws {
        try #require(SlipwayCommand.isBuilt, "build with --build-tests: \(SlipwayCommand.binary)")
        let directory = try TemporaryDirectory()
        let help = try SlipwayCommand(home: directory.path).run(["--help"])
        #expect(help.succeeded && help.stdout.contains("USAGE: slipway"))
    }
}
