import Deploy
import Foundation
import SlipwayCore
import SlipwayTestSupport
import Testing

/// The load-balancer hooks run in CodeDeploy's order around the switch: the live release
/// leaves service (BeforeBlockTraffic, AfterBlockTraffic, ApplicationStop), the new one
/// starts, validates and passes its health check, then enters service (BeforeAllowTraffic,
/// AfterAllowTraffic); a failure brings the old release back into service.
@Suite(.tags(.medium)) struct TrafficHookTests {
    static let allEvents = ["BeforeBlockTraffic", "AfterBlockTraffic", "ApplicationStop", "BeforeInstall", "AfterInstall",
                            "ApplicationStart", "ValidateService", "BeforeAllowTraffic", "AfterAllowTraffic"]

    /// A script that prints "<version> <event>".
    static func script(_ version: String, failing event: String? = nil) -> String {
        "#!/bin/sh\necho \(version) $LIFECYCLE_EVENT\n" + (event.map { "[ \"$LIFECYCLE_EVENT\" = \($0) ] && exit 3\n" } ?? "") + "exit 0\n"
    }

    func release(_ f: Fixture, _ version: String, failing event: String? = nil) throws -> DeployResult {
        let spec = appspec(Self.allEvents.map { ($0, "hook.sh") })
        return f.deploy(try f.artifact(["appspec.yml": spec, "hook.sh": Self.script(version, failing: event), "index.html": version]))
    }

    @Test func everyEventRunsInCodeDeployOrderAroundTheSwitch() throws {
        let f = try Fixture()
        let first = try release(f, "v1")
        #expect(first.succeeded, "\(first)")
        // A first deploy has no live release to take out of service.
        #expect(f.lines == ["v1 BeforeInstall", "v1 AfterInstall", "v1 ApplicationStart", "v1 ValidateService",
                            "v1 BeforeAllowTraffic", "v1 AfterAllowTraffic"])
        f.log.clear()
        let second = try release(f, "v2")
        #expect(second.succeeded, "\(second)")
        #expect(f.lines == ["v2 BeforeInstall", "v2 AfterInstall",
                            "v1 BeforeBlockTraffic", "v1 AfterBlockTraffic", "v1 ApplicationStop",
                            "v2 ApplicationStart", "v2 ValidateService", "v2 BeforeAllowTraffic", "v2 AfterAllowTraffic"])
    }

    /// A deploy of v2 over a live v1 where one hook fails: v1's (`live`) or v2's (`new`).
    struct FailedHook: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var live: String? = nil
        var new: String? = nil
        /// The hooks' lines of the v2 deploy.
        var lines: [String]
    }

    static let failedHooks = [
        FailedHook(testDescription: "a failed validation brings the old release back into service", new: "ValidateService",
                   lines: ["v2 BeforeInstall", "v2 AfterInstall", "v1 BeforeBlockTraffic", "v1 AfterBlockTraffic", "v1 ApplicationStop",
                           "v2 ApplicationStart", "v2 ValidateService",
                           "v1 ApplicationStart", "v1 ValidateService", "v1 BeforeAllowTraffic", "v1 AfterAllowTraffic"]),
        FailedHook(testDescription: "a failed allow-traffic hook reverts too", new: "AfterAllowTraffic",
                   lines: ["v2 BeforeInstall", "v2 AfterInstall", "v1 BeforeBlockTraffic", "v1 AfterBlockTraffic", "v1 ApplicationStop",
                           "v2 ApplicationStart", "v2 ValidateService", "v2 BeforeAllowTraffic", "v2 AfterAllowTraffic",
                           "v1 ApplicationStart", "v1 ValidateService", "v1 BeforeAllowTraffic", "v1 AfterAllowTraffic"]),
        // Never stopped, never switched: only its traffic is allowed again.
        FailedHook(testDescription: "a failed block hook leaves the old release live and back in service", live: "AfterBlockTraffic",
                   lines: ["v2 BeforeInstall", "v2 AfterInstall", "v1 BeforeBlockTraffic", "v1 AfterBlockTraffic",
                           "v1 BeforeAllowTraffic", "v1 AfterAllowTraffic"]),
    ]

    /// The deploy fails, v1 stays (or is again) current, and the hooks run in `lines`' order.
    @Test(arguments: failedHooks)
    func aFailedHookLeavesTheOldReleaseInService(_ failure: FailedHook) throws {
        let f = try Fixture()
        #expect(try release(f, "v1", failing: failure.live).succeeded)
        f.log.clear()
        let failed = try release(f, "v2", failing: failure.new)
        #expect(!failed.succeeded)
        #expect(f.read("current/index.html") == "v1")
        #expect(f.lines == failure.lines)
    }

    @Test func rollbackTakesTheCurrentReleaseOutOfServiceFirst() throws {
        let f = try Fixture()
        #expect(try release(f, "v1").succeeded)
        #expect(try release(f, "v2").succeeded)
        f.log.clear()
        let back = try Rollback(host: f.host, events: f.events).run()
        #expect(back.status == "succeeded")
        #expect(f.lines == ["v2 BeforeBlockTraffic", "v2 AfterBlockTraffic", "v2 ApplicationStop",
                            "v1 ApplicationStart", "v1 ValidateService", "v1 BeforeAllowTraffic", "v1 AfterAllowTraffic"])
    }
}
