import Foundation
import SlipwayTestSupport
import Testing
@testable import Sandbox

/// Name resolution with host networking: the sandbox shares the host's network, so it gets the
/// host's /etc/resolv.conf, read-only, whatever the image has there.
@Suite("Host resolver", .tags(.medium))
struct ResolverTests {
    static let hostResolver = (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""

    @Test("with host networking the image gets the host's resolv.conf, read-only; without, it has none", arguments: SandboxRun.Mode.availableCases)
    func hostResolverBound(mode: SandboxRun.Mode) throws {
        guard !Self.hostResolver.isEmpty else { return }
        let script = "cat /etc/resolv.conf; echo 'nameserver 192.0.2.1' > /etc/resolv.conf 2>/dev/null && echo WRITTEN; true"
        let shared = try SandboxRun.run(mode, script) { $0.network = .host }
        #expect(shared.result.status == 0, "\(shared.stderr)")
        #expect(shared.stdout == Self.hostResolver.trimmingCharacters(in: .newlines), "\(shared.stdout) \(shared.stderr)")
        let isolated = try SandboxRun.run(mode, "test -e /etc/resolv.conf && echo PRESENT; true")
        #expect(isolated.result.status == 0 && !isolated.stdout.contains("PRESENT"), "\(isolated.stdout) \(isolated.stderr)")
    }

    @Test("an image whose resolv.conf is a dangling symlink, or a regular file, still gets the host's; a spec's own bind wins", arguments: SandboxRun.Mode.availableCases)
    func imageResolverReplaced(mode: SandboxRun.Mode) throws {
        guard !Self.hostResolver.isEmpty else { return }
        let scratch = try BusyboxRootfs.scratch("resolver")
        for (name, setup) in [("dangling", "ln -s ../run/systemd/resolve/stub-resolv.conf"), ("file", "echo 'nameserver 192.0.2.9' >")] {
            let rootfs = scratch.path + "/" + name
            #expect(BusyboxRootfs.shell("cp -a '\(mode.rootfs)' '\(rootfs)' && \(setup) '\(rootfs)/etc/resolv.conf'") == 0)
            let run = try SandboxRun.run(mode, "cat /etc/resolv.conf") { $0.rootfs = rootfs; $0.network = .host }
            #expect(run.result.status == 0 && run.stdout == Self.hostResolver.trimmingCharacters(in: .newlines), "\(name): \(run.stdout) \(run.stderr)")
            // The image itself is never written.
            #expect(BusyboxRootfs.shell("test \(name == "dangling" ? "-L" : "-f") '\(rootfs)/etc/resolv.conf'") == 0)
        }
        _ = try scratch.write("own-resolv.conf", "nameserver 192.0.2.7\n")
        chmod(scratch.path + "/own-resolv.conf", 0o644)
        let own = try SandboxRun.run(mode, "cat /etc/resolv.conf") {
            $0.network = .host
            $0.binds = [.init(source: scratch.path + "/own-resolv.conf", destination: "/etc//resolv.conf", readOnly: true)]
        }
        #expect(own.result.status == 0 && own.stdout == "nameserver 192.0.2.7", "\(own.stdout) \(own.stderr)")
    }
}
