import Foundation
import SlipwayCore
import SlipwayTestSupport

/// A busybox root filesystem built once per test process from Debian's busybox-static:
/// the binary plus one symlink per applet, and a setuid-root copy for the privilege tests.
/// `unprivileged` is a copy owned by nobody (65534), so that inside a user namespace mapping
/// root to nobody every file belongs to root.
enum BusyboxRootfs {
    static let base: String = {
        do {
            let base = try TemporaryDirectory.forThisProcess("slipway-sandbox-tests")
            chmod(base, 0o755)
            return base
        } catch {
            preconditionFailure("\(error)")
        }
    }()
    static let root: String = make(at: base + "/rootfs", owner: nil)
    static let unprivileged: String = make(at: base + "/rootfs-nobody", owner: 65534)

    private static func make(at path: String, owner: uid_t?) -> String {
        removeTree(path)
        do {
            try Busybox.install(into: path)
        } catch {
            preconditionFailure("building the busybox rootfs: \(error)")
        }
        let script = """
            set -e
            mkdir -p '\(path)/etc' '\(path)/root'
            chmod 755 '\(path)'
            cp '\(path)/bin/busybox' '\(path)/bin/busybox-suid'
            chmod 4755 '\(path)/bin/busybox-suid'
            echo 'root:x:0:0:root:/root:/bin/sh' > '\(path)/etc/passwd'
            \(owner.map { "chown -R \($0):\($0) '\(path)'" } ?? "true")
            """
        precondition(shell(script) == 0, "building the busybox rootfs failed")
        return path
    }

    @discardableResult
    static func shell(_ script: String) -> Int32 {
        (try? Program.run("/bin/sh", ["-c", script], timeout: .seconds(60)).status) ?? -1
    }

    /// A fresh directory for one test (mode 777 so the unprivileged runs can write it),
    /// removed when the returned value goes.
    static func scratch(_ name: String) throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory("slipway-sandbox-\(name)")
        chmod(directory.path, 0o777)
        return directory
    }

    /// Whether unprivileged user namespaces work here (probed as nobody).
    static let unprivilegedNamespacesWork: Bool =
        shell("setpriv --reuid=65534 --regid=65534 --clear-groups unshare -rm true 2>/dev/null") == 0
}
