import Foundation
import SlipwayCore

extension ImageStore {
    /// The busybox image from `images/busybox`, imported into this store as `busybox:latest`:
    /// for tests of any module that needs a real root filesystem (`/bin/sh`, `/bin/true`, ...).
    ///
    /// The recipe's tarball is cached in `$TMPDIR/slipway-test-images/` keyed by the busybox
    /// binary's digest, so after the first run this costs one ~2 MB import. Needs Debian's
    /// `busybox-static`. `sourceRoot` defaults to this checkout (found from this file's path).
    public func busyboxForTests(sourceRoot: String? = nil) throws -> ImageRecord {
        let root = sourceRoot ?? Self.checkoutRoot
        let binary = "/bin/busybox"
        guard FileManager.default.fileExists(atPath: binary) else {
            throw SlipwayError.failed("busybox test image: \(binary) is missing; install busybox-static (scripts/install-deps)")
        }
        let recipe = root + "/images/busybox"
        var key = SHA256Stream()
        key.update(Data(try SHA256Stream.hex(ofFile: binary).utf8))
        key.update(Data(try SHA256Stream.hex(ofFile: recipe + "/build").utf8))
        let cacheDir = NSTemporaryDirectory() + "/slipway-test-images"
        let tarball = "\(cacheDir)/busybox-\(key.finalizeHex().prefix(16)).tar"
        if !FileManager.default.fileExists(atPath: tarball) {
            try makeDirectories(cacheDir)
            let partial = tarball + ".partial-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
            defer { unlink(partial) }
            try Self.run(recipe + "/build", [partial], what: "recipe images/busybox")
            guard rename(partial, tarball) == 0 else { throw SlipwayError.rename(partial, to: tarball) }
        }
        return try importImage(path: tarball, reference: "busybox:latest")
    }

    /// The checkout this file was compiled from: Sources/Images/<file> → the package root.
    static var checkoutRoot: String {
        if let env = ProcessInfo.processInfo.environment["SLIPWAY_SOURCE_ROOT"], !env.isEmpty { return env }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }
}
