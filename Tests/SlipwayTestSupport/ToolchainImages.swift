import Foundation
import Images
import SlipwayCore

/// The Debian toolchain images, built once per test run (and kept while their recipes are
/// unchanged) in one shared Slipway home, `$TMPDIR/slipway-test-images/toolchain-home`: the
/// recipe digest `slipway image build` stores with each image makes every later request for
/// an unchanged recipe a lookup. Tests use the shared trees read-only (`--rootfs`, or this
/// home for builds that pick a runtime image by name).
public enum ToolchainImages {
    public static var home: SlipwayHome { SlipwayHome(path: RecipeCache.directory + "/toolchain-home") }

    /// Whether this machine can build them: root, mmdebstrap, getfattr.
    public static var available: Bool {
        geteuid() == 0 && ["/usr/bin/mmdebstrap", "/usr/bin/getfattr"].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// `images/NAME` built (or found unchanged) in the shared home, through the real
    /// `slipway image build`; one build at a time across test processes (a file lock).
    public static func image(_ name: String, force: Bool = false) throws -> ImageRecord {
        try makeDirectories(RecipeCache.directory)
        let lockPath = RecipeCache.directory + "/toolchain-home.lock"
        let lock = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw TestFailure("open \(lockPath): \(String(cString: strerror(errno)))") }
        defer { close(lock) }
        while flock(lock, LOCK_EX) != 0 && errno == EINTR {}
        let slipway = SlipwayCommand(home: home.path)
        // At the lowest CPU and I/O priority: the builds (dpkg, a 450 MB tar) run beside suites
        // that time things, which must not see the two cores taken from them.
        let built = try slipway.run(["image", "build", Busybox.checkout + "/images/" + name] + (force ? ["--force"] : []),
                                    prefix: ["/usr/bin/nice", "-n", "19", "/usr/bin/ionice", "-c", "3"], timeout: .seconds(1800))
        guard built.succeeded else { throw TestFailure("slipway image build images/\(name): \(built)") }
        return try ImageStore(home: home).resolve(name)
    }
}
