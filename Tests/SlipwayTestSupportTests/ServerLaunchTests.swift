import Foundation
@testable import SlipwayTestSupport
import Testing

/// A server started for the tests outlives the thread that asked for it: setpriv's
/// --pdeathsig follows the starting thread, and test threads come and go.
@Suite(.tags(.small)) struct ServerLaunchTests {
    @Test func aServerOutlivesTheThreadThatStartedIt() async throws {
        let directory = try TemporaryDirectory("slipway-launch")
        let process = try await offPool { try launchServer(["/bin/sleep", "30"], log: directory.path + "/sleep.log") }
        defer { kill(process.processIdentifier, SIGKILL) }
        // offPool's thread has ended by now; give a death signal time to arrive.
        try await Task.sleep(for: .milliseconds(500))
        #expect(process.isRunning)
    }
}
