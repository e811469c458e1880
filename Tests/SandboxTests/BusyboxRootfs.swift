import Foundation

/// A busybox root filesystem built once per test process from Debian's busybox-static:
/// the binary plus one symlink per applet, and a setuid-root copy for the privilege tests.
/// `unprivileged` is a copy owned by nobody (65534), so that inside a user namespace mapping
/// root to nobody every file belongs to root.
enum BusyboxRootfs {
    static let base = NSTemporaryDirectory() + "slipway-sandbox-tests-\(getpid())"
    static let root: String = make(at: base + "/rootfs", owner: nil)
    static let unprivileged: String = make(at: base + "/rootfs-nobody", owner: 65534)

    private static func make(at path: String, owner: uid_t?) -> String {
        let busybox = ["/bin/busybox", "/usr/bin/busybox"].first { FileManager.default.isExecutableFile(atPath: $0) }
        precondition(busybox != nil, "busybox-static is missing: run scripts/install-deps")
        let script = """
            set -e
            mkdir -p '\(path)/bin' '\(path)/etc' '\(path)/root'
            chmod 755 '\(base)' '\(path)'
            cp \(busybox!) '\(path)/bin/busybox'
            for applet in $('\(path)/bin/busybox' --list); do
              [ "$applet" = busybox ] || ln -sf busybox "\(path)/bin/$applet"
            done
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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        try? process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// A fresh directory for one test (mode 777 so the unprivileged runs can write it).
    static func scratch(_ name: String) -> String {
        let path = base + "/\(name)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        chmod(path, 0o777)
        return path
    }

    /// Whether unprivileged user namespaces work here (probed as nobody).
    static let unprivilegedNamespacesWork: Bool =
        shell("setpriv --reuid=65534 --regid=65534 --clear-groups unshare -rm true 2>/dev/null") == 0
}
