import Deploy
import Foundation
import SlipwayCore
import SlipwayTestSupport
import Testing

/// A hook's `runas` is checked on the host while the release is prepared, before any hook runs.
@Suite(.tags(.medium)) struct RunAsTests {
    @Test func aRunasUserTheHostLacksFailsTheDeployBeforeAnyHookRuns() throws {
        let f = try Fixture()
        let first = f.deploy(try f.artifact(["index.html": "one"]))
        #expect(first.succeeded)
        let ran = f.dir + "/ran"
        let spec = """
            version: 0.0
            os: linux
            hooks:
              BeforeInstall:
                - location: log.sh
              ApplicationStart:
                - location: start.sh
                  runas: slipway-no-such-user

            """
        let second = f.deploy(try f.artifact(["appspec.yml": spec, "log.sh": "#!/bin/sh\necho ran >> \(ran)\n", "start.sh": "#!/bin/sh\n",
                                              "index.html": "two"]))
        #expect(second.status == "failed")
        #expect(second.error == "local: ApplicationStart: start.sh: runas: user 'slipway-no-such-user' does not exist on this host", "\(second.error ?? "")")
        #expect(!FileManager.default.fileExists(atPath: ran), "BeforeInstall ran")
        #expect(f.current == first.release)
        #expect(f.read("current/index.html") == "one")
    }
}
