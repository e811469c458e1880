import Foundation
@testable import SlipwayCore
import SlipwayTestSupport
import Testing

/// Out of file descriptors (EMFILE at any of the pipes, the pidfd or the child's /dev/null),
/// starting a child fails with an error that says so, or runs without a pidfd; either way it
/// closes what it made, leaks nothing and closes nothing it did not make.
@Suite(.tags(.small)) struct CommandOutOfDescriptorsTests {
    @Test func spawningOutOfDescriptorsClosesOnlyWhatItMade() throws {
        _ = try ChildTest.run("CommandOutOfDescriptorsTests/squeezedInAChildProcess")
    }

    /// Runs only in the child copy of the test binary, whose descriptor limit it lowers.
    @Test(.enabled(if: ChildTest.isChild)) func squeezedInAChildProcess() throws {
        try DescriptorSqueeze.lowerLimit()
        let commands = [
            Command(["/bin/echo", "out"]),
            Command(["/bin/cat"], input: .bytes(Array("fed\n".utf8)), stderr: .pipe),
            Command(["/bin/cat"], input: .pipe, stderr: .pipe),
        ]
        // Once with room, so nothing set up on first use is counted as leaked.
        for command in commands { _ = try command.run() }
        for command in commands {
            for free in 0...8 {
                var failure: SlipwayError?
                var ending: ChildProcess.Ending?
                let report = try DescriptorSqueeze.run(leaving: free) {
                    do {
                        let child = try command.spawn()
                        child.closeInput()
                        ending = child.pump(deadline: Date().addingTimeInterval(10)) { _, _ in }
                    } catch let error as SlipwayError {
                        failure = error
                    }
                }
                #expect(report.clean, "\(command.argv) \(report)")
                #expect(failure == nil || "\(failure!)".contains("Too many open files"), "\(failure!)")
                #expect(failure != nil || ending == .exited(0), "\(command.argv) with \(free) free: \(String(describing: ending))")
                if free == 0 { #expect(failure != nil, "\(command.argv) started with no descriptor free") }
            }
        }
    }
}
