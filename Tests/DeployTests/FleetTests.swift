import Foundation
import SlipwayTestSupport
import Testing

/// The test fleet: four hosts as network namespaces, each with sshd and nginx, behind an nginx
/// load balancer. One fleet per test process, so the tests take turns.
@Suite(.tags(.large), .serialized, .enabled(if: Fleet.available)) struct FleetTests {
    /// The fixture itself: four hosts reachable over SSH with their own host keys, each nginx
    /// answering for itself, and a balancer that spreads requests over them and skips a host
    /// its drain command took out of rotation.
    @Test func theFleetAnswersOverSSHAndThroughTheBalancer() throws {
        let fleet = try Fleet.shared()
        try fleet.resetBalancer()
        for host in fleet.hosts {
            let ssh = try Program.run("/bin/sh", ["-c", fleet.sshCommand + " -o BatchMode=yes \(Fleet.user)@\(host.address) 'id -un; cat /proc/net/dev | grep -c eth0'"])
            #expect(ssh.succeeded && ssh.stdout == "\(Fleet.user)\n1\n", "\(host.name): \(ssh)")
        }
        var served: [String] = []
        for _ in 0..<8 {
            let response = try #require(fleet.get(), "the balancer did not answer")
            served.append(response.servedBy ?? "?")
        }
        #expect(Set(served) == ["h1", "h2", "h3", "h4"], "\(served)")

        // Drained, h2 gets nothing; undrained, it is back.
        let drain = try Program.run("/bin/sh", ["-c", fleet.drainCommand], environment: ["SLIPWAY_HOST": fleet.hosts[1].address])
        #expect(drain.succeeded, "\(drain)")
        #expect(fleet.drained() == ["h2"])
        let whileDrained = (0..<8).compactMap { _ in fleet.get()?.servedBy }
        #expect(whileDrained.count == 8 && !whileDrained.contains("h2"), "\(whileDrained)")
        try fleet.resetBalancer()
        #expect(fleet.drained().isEmpty)
        #expect(Set((0..<8).compactMap { _ in fleet.get()?.servedBy }) == ["h1", "h2", "h3", "h4"])
    }
}
