import Foundation
import Images
import SlipwayCore
import SlipwayTestSupport
import Testing

/// The busybox image's network and user applets, run in the real sandbox with the options
/// build scripts use. Debian's busybox-static 1.35 segfaulted on `wget -T`; the recipe's
/// own build must not.
@Suite("Busybox applets in the sandbox", .tags(.medium),
       .enabled(if: SlipwayCommand.isBuilt && geteuid() == 0, "needs the slipway binary and root"))
struct BusyboxAppletTests {
    /// A store holding the busybox image, and the CLI pointed at it.
    struct Fixture {
        let scratch: ScratchHome
        let image: ImageRecord

        init() throws {
            scratch = try ScratchHome("slipway-applets")
            image = try scratch.store.busyboxForTests()
        }

        /// `sh -c script` in a sandbox on the image; the output, failing the test on a bad exit.
        func sandbox(_ script: String, network: String = "none", sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
            let run = try scratch.slipway().run(["sandbox", "run", "--image", "busybox", "--network", network, "--timeout", "30s",
                                       "--", "/bin/sh", "-c", script], timeout: .seconds(60))
            #expect(run.status == 0, "\(script): \(run)", sourceLocation: sourceLocation)
            return run.stdout
        }
    }

    @Test("wget -T 5 fetches from a local HTTP server over the host's network")
    func wgetWithTimeout() throws {
        let fixture = try Fixture()
        let site = try TemporaryDirectory("slipway-applets-site")
        try Data("served to busybox\n".utf8).write(to: URL(fileURLWithPath: site.path + "/index.html"))
        // The image's own busybox (static) serves it on the host: httpd in the foreground, on a
        // port that was free a moment ago; another is tried if it was taken meanwhile.
        var started: (server: Process, port: Int)?
        for _ in 0..<5 where started == nil {
            let (probe, port) = try Loopback.listener()
            close(probe)
            let server = Process()
            server.executableURL = URL(fileURLWithPath: fixture.image.rootfs + "/bin/busybox")
            server.arguments = ["httpd", "-f", "-p", "127.0.0.1:\(port)", "-h", site.path]
            server.standardOutput = FileHandle.nullDevice
            server.standardError = FileHandle.nullDevice
            try server.run()
            if awaitListening(server, port: port, seconds: 10) { started = (server, port) } else {
                kill(server.processIdentifier, SIGKILL)
                server.waitUntilExit()
            }
        }
        let (server, port) = try #require(started, "busybox httpd did not listen on any of five free ports")
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        let url = "http://127.0.0.1:\(port)/index.html"
        let output = try fixture.sandbox("""
            for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -T 5 -O /tmp/page \(url) && break; sleep 0.5; done
            cat /tmp/page
            wget -q --timeout=5 -O - http://localhost:\(port)/index.html
            """, network: "host")
        #expect(output == "served to busybox\nserved to busybox\n")
    }

    @Test("wget -T gives up on a server that never answers, with exit 1, not a crash")
    func wgetTimesOut() throws {
        let fixture = try Fixture()
        // nc accepts and never replies (its stdin stays open, so it never closes the
        // connection either); wget -T 1 must time out.
        let run = try fixture.scratch.slipway().run(["sandbox", "run", "--image", "busybox", "--timeout", "30s", "--", "/bin/sh", "-c", """
            sleep 20 | nc -l -p 8099 >/dev/null & sleep 0.3
            wget -T 1 -O /dev/null http://127.0.0.1:8099/; echo "exit $?"
            """], timeout: .seconds(60))
        #expect(run.stdout.contains("exit 1"), "\(run)")
        #expect(run.stderr.contains("timed out") || run.stderr.contains("download timed out"), "\(run)")
    }

    @Test("nc sends and receives over the sandbox's loopback")
    func netcat() throws {
        let output = try Fixture().sandbox("""
            nc -l -p 7000 > /tmp/got & sleep 0.3
            echo 'over nc' | nc -w 2 127.0.0.1 7000
            wait; cat /tmp/got
            """)
        #expect(output == "over nc\n")
    }

    @Test("nslookup resolves a name through a DNS server (dnsd) inside the sandbox")  // dnsd answers A queries only
    func nslookup() throws {
        let output = try Fixture().sandbox("""
            echo 'build.test 10.1.2.3' > /tmp/dnsd.conf
            dnsd -p 5353 -i 127.0.0.1 -c /tmp/dnsd.conf & sleep 0.3
            nslookup -type=a -port=5353 build.test 127.0.0.1
            """)
        #expect(output.contains("Address: 10.1.2.3"), "\(output)")
    }

    @Test("id, whoami and wget's host names read /etc/passwd, /etc/group and /etc/hosts")
    func users() throws {
        // The sandbox's root has no supplementary groups, so id lists none for it.
        let output = try Fixture().sandbox("id; id nobody; whoami; id -gn nobody")
        #expect(output == "uid=0(root) gid=0(root)\nuid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\nroot\nnogroup\n")
    }
}
