import Deploy
import Foundation
import SlipwayCore
import SlipwayTestSupport
import Testing

@Suite(.tags(.medium)) struct InstallTests {
    @Test func filesMapIntoTheReleaseAndHooksStillComeFromTheBundle() throws {
        let f = try Fixture()
        let spec = """
            version: 0.0
            os: linux
            files:
              - source: dist/
                destination: /opt/site
              - source: config/app.conf
                destination: /opt/site/etc
            permissions:
              - object: /opt/site/etc
                pattern: "*.conf"
                mode: 0640
                type: [file]
            hooks:
              AfterInstall:
                - location: scripts/after.sh

            """
        let a = try f.artifact(["appspec.yml": spec, "dist/index.html": "site", "config/app.conf": "x=1",
                                "scripts/after.sh": "#!/bin/sh\nls \"$RELEASE_PATH\" | tr '\\n' ' '\n"])
        let r = f.deploy(a) { $0.appRoot = "/opt/site" }
        #expect(r.succeeded, "\(r)")
        #expect(f.read("current/index.html") == "site")
        #expect(f.read("current/etc/app.conf") == "x=1")
        #expect(!FileManager.default.fileExists(atPath: f.target + "/current/dist"))
        #expect(f.lines == ["etc index.html "])
        var info = stat()
        #expect(stat(f.target + "/current/etc/app.conf", &info) == 0 && info.st_mode & 0o777 == 0o640)
    }

    @Test func destinationOutsideTheAppRootIsRefusedSayingWhy() throws {
        let f = try Fixture()
        let spec = "version: 0.0\nos: linux\nfiles:\n  - source: /\n    destination: /etc/nginx\n"
        let r = f.deploy(try f.artifact(["appspec.yml": spec, "a": "b"]))
        #expect(r.status == "failed")
        #expect(r.error?.contains("destination /etc/nginx is outside the app root \(f.target)") == true, "\(r)")
        #expect(r.error?.contains("switch stays atomic") == true)
        #expect(f.current == nil)
    }

    @Test func fileExistsBehaviourDecidesDoubleInstalls() throws {
        let f = try Fixture()
        func spec(_ behaviour: String) -> String {
            "version: 0.0\nos: linux\nfiles:\n  - source: a\n    destination: \(f.target)\n  - source: b\n    destination: \(f.target)\nfile_exists_behavior: \(behaviour)\n"
        }
        let files = ["a/x.txt": "from a", "b/x.txt": "from b"]
        let disallow = f.deploy(try f.artifact(files.merging(["appspec.yml": spec("DISALLOW")]) { $1 }))
        #expect(disallow.error?.contains("x.txt would be installed twice") == true, "\(disallow)")
        #expect(f.deploy(try f.artifact(files.merging(["appspec.yml": spec("OVERWRITE")]) { $1 })).succeeded)
        #expect(f.read("current/x.txt") == "from b")
        #expect(f.deploy(try f.artifact(files.merging(["appspec.yml": spec("RETAIN")]) { $1 })).succeeded)
        #expect(f.read("current/x.txt") == "from a")
    }

    @Test func sharedEntriesAreLinkedIntoEveryRelease() throws {
        let f = try Fixture()
        try makeDirectories(f.target + "/shared/uploads")
        try Data("kept".utf8).write(to: URL(fileURLWithPath: f.target + "/shared/uploads/photo"))
        #expect(f.deploy(try f.artifact(["index.html": "1", "uploads/placeholder": "bundle copy"])).succeeded)
        #expect(f.read("current/uploads/photo") == "kept")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: f.target + "/current/uploads")) == "../../shared/uploads")
    }

    @Test func singleTopFolderIsTheBundleRoot() throws {
        let f = try Fixture()
        let r = f.deploy(try f.artifact(["app/appspec.yml": appspec([("AfterInstall", "hook.sh")]), "app/hook.sh": "#!/bin/sh\necho in $(basename $(pwd))\n", "app/index.html": "x"]))
        #expect(r.succeeded, "\(r)")
        #expect(f.read("current/index.html") == "x")
        #expect(f.lines == ["in \(r.release!)"])
    }

    @Test func httpHealthCheckSwitchesBackWhenItFails() throws {
        let f = try Fixture()
        try makeDirectories(f.target)
        let server = try TinyHTTPServer.files(under: f.target + "/current")
        let url = "http://127.0.0.1:\(server.port)/health"
        let good = f.deploy(try f.artifact(["health": "ok"])) { $0.health = .http(url: url) }
        #expect(good.succeeded, "\(good)")
        let bad = f.deploy(try f.artifact(["index.html": "no health file"])) {
            $0.health = .http(url: url)
            $0.healthPolicy = HealthCheck.Policy(deadline: 1, interval: 0.2, requestTimeout: 1)
        }
        #expect(bad.status == "rolled-back")
        #expect(bad.error?.contains("health check failed: GET \(url): status 404") == true, "\(bad)")
        #expect(f.current == good.release)
    }

    @Test func targetsParse() throws {
        #expect(try DeployTarget.parse("ssh://deploy@web1:2222/srv/app") == .remote(SSHDestination(user: "deploy", host: "web1", port: 2222, path: "/srv/app")))
        #expect(try DeployTarget.parse("ssh://web1/srv/app") == .remote(SSHDestination(user: nil, host: "web1", port: nil, path: "/srv/app")))
        #expect(try DeployTarget.parse("/srv/app") == .local(path: "/srv/app"))
        #expect(throws: SlipwayError.self) { try DeployTarget.parse("ssh://web1") }
        #expect(throws: SlipwayError.self) { try DeployTarget.parse("ssh://web1:http/srv") }
    }
}
