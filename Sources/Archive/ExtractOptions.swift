import Foundation

/// Rules for writing an untrusted archive to disk.
public struct ExtractOptions: Sendable {
    /// How symlinks already in the tree affect later entries' parent paths.
    public enum Symlinks: Sendable {
        /// Artifacts: a parent path through any symlink is refused.
        case refuse
        /// Images: symlinks resolve as if the target were `/` (`lib -> usr/lib` works; an
        /// absolute link `/tmp/x` means `<root>/tmp/x`, never the host's).
        case resolveInRoot
    }

    public var symlinks: Symlinks = .refuse
    /// Create device nodes and fifos (needs privilege); otherwise they are refused.
    public var allowDevices = false
    /// Apply OCI whiteouts (`.wh.NAME`, `.wh..wh..opq`) instead of writing them.
    public var whiteouts = false
    /// chown entries to their recorded uid/gid (root only); otherwise files belong to the caller.
    public var keepOwnership = false
    /// Keep setuid, setgid and sticky bits.
    public var keepSpecialBits = false
    /// Caps against archive bombs.
    public var maxBytes: Int64 = 16 << 30
    public var maxEntries = 2_000_000

    public init() {}

    public static let artifact = ExtractOptions()

    public static var imageLayer: ExtractOptions {
        var o = ExtractOptions()
        o.symlinks = .resolveInRoot
        o.whiteouts = true
        o.keepSpecialBits = true
        o.maxBytes = 64 << 30
        return o
    }
}

public struct ExtractStats: Sendable, Codable {
    public var entries = 0
    public var files = 0
    public var bytes: Int64 = 0
}
