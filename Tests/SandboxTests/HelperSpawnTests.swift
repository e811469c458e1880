import Foundation
@testable import Sandbox
import SlipwayCore
import SlipwayTestSupport
import Testing

/// Out of file descriptors (EMFILE at any of the helper's four pipes or its /dev/null),
/// starting the sandbox helper fails with an error and closes every descriptor it made on the
/// way, and nothing else: a service that runs builds keeps running out of descriptors otherwise.
@Suite(.tags(.small)) struct HelperSpawnTests {
    @Test func startingTheHelperOutOfDescriptorsClosesWhatItMade() throws {
        _ = try ChildTest.run("HelperSpawnTests/squeezedInAChildProcess")
    }

    /// Runs only in the child copy of the test binary, whose descriptor limit it lowers.
    @Test(.enabled(if: ChildTest.isChild)) func squeezedInAChildProcess() throws {
        try DescriptorSqueeze.lowerLimit()
        // /bin/true stands in for the helper: it exits at once, ending the output pipes.
        func start() throws {
            let helper = try HelperProcess.spawn(["/bin/true"], spec: Array("spec".utf8))
            _ = try? RunningSandbox(helper: helper, output: { _ in }).wait()
        }
        try start()
        for free in 0...12 {
            var failure: SlipwayError?
            let report = try DescriptorSqueeze.run(leaving: free) {
                do { try start() } catch let error as SlipwayError { failure = error }
            }
            #expect(report.clean, "\(report)")
            if free < 9 { #expect(failure != nil, "the helper started with \(free) descriptors free") }
        }
    }
}
