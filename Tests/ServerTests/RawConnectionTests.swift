import Foundation
import SlipwayTestSupport
import Testing

/// The tests' raw TCP client closes what it opened once, also when the connection is refused:
/// polling a port that is not up yet (nginx starting, a service restarting) refuses thousands
/// of times beside in-process services whose NIO accepts take the lowest free number.
@Suite(.tags(.small)) struct RawConnectionTests {
    @Test func aRefusedConnectionClosesItsSocketOnce() throws {
        // Bound but not listening: every connection to it is refused at once.
        let (bound, port) = try Loopback.listener(backlog: nil)
        defer { close(bound) }
        var refused = 0
        let deadline = ContinuousClock.now + .seconds(2)
        let strays = try StrayCloseDetector.count {
            while refused < 20_000, ContinuousClock.now < deadline {
                if (try? RawConnection(port: port)) == nil { refused += 1 }
            }
        }
        #expect(refused > 100, "connections refused: \(refused)")
        #expect(strays == 0, "\(strays) descriptors closed by someone who no longer owned them, over \(refused) refused connections")
    }
}
