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
    /// The recipe compiles busybox from Debian's source package, so its tarball is cached in
    /// `$TMPDIR/slipway-test-images/`, keyed by the recipe's digest (its files and inputs):
    /// the first use in a test run (or after the recipe changes) builds it, every other one
    /// costs a ~2 MB import. Concurrent callers wait for one build (a file lock).
    public func busyboxForTests() throws -> ImageRecord {
        let tarball = try RecipeCache.tarball(recipe: Busybox.checkout + "/images/busybox", timeout: .seconds(1200))
        return try importImage(path: tarball, reference: "busybox:latest")
    }
}

/// Tarballs written by recipes without a parent, cached in `$TMPDIR/slipway-test-images/` by
/// recipe digest, so one test run (and the next, while the recipe is unchanged) builds each once.
public enum RecipeCache {
    public static var directory: String { NSTemporaryDirectory() + "/slipway-test-images" }

    /// The tarball `recipe`'s build writes, built now unless a cached one has its digest.
    public static func tarball(recipe: String, timeout: Duration) throws -> String {
        let digest = try ImageRecipe(directory: recipe).digest(parentImage: nil, environment: ProcessInfo.processInfo.environment)
        let name = (recipe as NSString).lastPathComponent
        let tarball = "\(directory)/\(name)-\(digest.hex.prefix(16)).tar"
        if FileManager.default.fileExists(atPath: tarball) { return tarball }
        try makeDirectories(directory)
        let lock = open(tarball + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw TestFailure("open \(tarball).lock: \(String(cString: strerror(errno)))") }
        defer { close(lock) }
        while flock(lock, LOCK_EX) != 0 && errno == EINTR {}
        if FileManager.default.fileExists(atPath: tarball) { return tarball }
        let partial = tarball + ".partial-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        defer { unlink(partial) }
        let built = try Program.run(recipe + "/build", [partial], timeout: timeout)
        guard built.succeeded else { throw TestFailure("recipe \(recipe) failed: \(built)") }
        guard rename(partial, tarball) == 0 else { throw TestFailure("rename \(partial) to \(tarball): \(String(cString: strerror(errno)))") }
        return tarball
    }
}
