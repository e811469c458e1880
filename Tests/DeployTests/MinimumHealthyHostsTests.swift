import Deploy
import Testing

@Suite(.tags(.small)) struct MinimumHealthyHostsTests {
    /// CodeDeploy's rules: a count keeps that many hosts in service; a share is rounded up.
    @Test(arguments: [("3", 4, 1), ("0", 4, 4), ("2", 4, 2), ("75%", 4, 1), ("50%", 4, 2), ("50%", 5, 2), ("0%", 3, 3), ("1", 2, 1)])
    func batchSizes(_ text: String, _ hosts: Int, _ batch: Int) throws {
        #expect(try MinimumHealthyHosts.parse(text).batchSize(of: hosts) == batch)
    }

    @Test func valuesThatLeaveNoHostToDeployAreRefused() throws {
        #expect(throws: (any Error).self) { try MinimumHealthyHosts.parse("4").batchSize(of: 4) }
        #expect(throws: (any Error).self) { try MinimumHealthyHosts.parse("100%") }
        #expect(throws: (any Error).self) { try MinimumHealthyHosts.parse("-1") }
        #expect(throws: (any Error).self) { try MinimumHealthyHosts.parse("half") }
        var options = DeployOptions()
        options.minimumHealthy = .hosts(3)
        #expect(throws: (any Error).self) { try options.batchSize(for: 3) }
        #expect(try options.batchSize(for: 4) == 1)
    }
}
