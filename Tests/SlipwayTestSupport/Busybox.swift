import Foundation
import Images
import SlipwayCore

/// Debian's static busybox, the one root filesystem every sandboxed test runs on.
public enum Busybox {
    /// The busybox-static binary; throws with the fix when it is not installed.
    public static func binary() throws -> String {
        guard let path = ["/bin/busybox", "/usr/bin/busybox"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw TestFailure("busybox-static is not installed (scripts/install-deps)")
        }
        return path
    }

    /// Puts busybox at `root/bin/busybox` with every applet as a symlink to it beside it.
    public static func install(into root: String) throws {
        let busybox = try binary()
        try makeDirectories(root + "/bin")
        try FileManager.default.copyItem(atPath: busybox, toPath: root + "/bin/busybox")
        let list = try Program.run(busybox, ["--list"], timeout: .seconds(30))
        guard list.succeeded else { throw TestFailure("busybox --list: \(list)") }
        for applet in list.stdout.split(separator: "\n") where applet != "busybox" {
            try? FileManager.default.createSymbolicLink(atPath: root + "/bin/" + applet, withDestinationPath: "busybox")
        }
    }

    /// The package root, from this file's place in it (or `SLIPWAY_SOURCE_ROOT`).
    public static var checkout: String {
        if let root = ProcessInfo.processInfo.environment["SLIPWAY_SOURCE_ROOT"], !root.isEmpty { return root }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }
}

extension ImageStore {
    /// The busybox image from the `images/busybox` recipe, imported into this store as
    /// `busybox:latest`: for tests of any module that needs a real root filesystem.
    ///
    /// The recipe's tarball is cached in `$TMPDIR/slipway-test-images/`, keyed by the busybox
    /// binary's and the recipe's digests, so after the first run this costs one ~2 MB import.
    public func busyboxForTests() throws -> ImageRecord {
        let binary = try Busybox.binary()
        let recipe = Busybox.checkout + "/images/busybox"
        var key = SHA256Stream()
        key.update(Data(try SHA256Stream.hex(ofFile: binary).utf8))
        key.update(Data(try SHA256Stream.hex(ofFile: recipe + "/build").utf8))
        let cache = NSTemporaryDirectory() + "/slipway-test-images"
        let tarball = "\(cache)/busybox-\(key.finalizeHex().prefix(16)).tar"
        if !FileManager.default.fileExists(atPath: tarball) {
            try makeDirectories(cache)
            let partial = tarball + ".partial-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
            defer { unlink(partial) }
            let built = try Program.run(recipe + "/build", [partial], timeout: .seconds(120))
            guard built.succeeded else { throw TestFailure("recipe images/busybox failed: \(built)") }
            guard rename(partial, tarball) == 0 else { throw TestFailure("rename \(partial) to \(tarball): \(String(cString: strerror(errno)))") }
        }
        return try importImage(path: tarball, reference: "busybox:latest")
    }
}
