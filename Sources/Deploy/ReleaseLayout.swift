import Foundation
import SlipwayCore

/// Where things live under a target's root, on this machine or a remote one:
///
///     releases/<id>/          one directory per release, never changed once published
///     current -> releases/<id> the live release (a relative symlink, switched by rename)
///     shared/                 files and directories linked into every release
///     .slipway/journal        append-only record of every state change (JSON lines)
///     .slipway/lock           the deploy lock (flock) and its owner
///     .slipway/appspec/<id>   the appspec each release was installed with
///     .slipway/bundles/<id>/  the bundle, when `files` maps it into a different shape
public struct ReleaseLayout: Sendable, Equatable {
    public let root: String

    public init(root: String) {
        var root = root
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        self.root = root
    }

    public var releases: String { root + "/releases" }
    public var current: String { root + "/current" }
    public var shared: String { root + "/shared" }
    public var state: String { root + "/.slipway" }
    public var journal: String { state + "/journal" }
    public var lock: String { state + "/lock" }
    public var appspecs: String { state + "/appspec" }
    public var bundles: String { state + "/bundles" }

    public func release(_ id: String) -> String { releases + "/" + id }
    public func appspec(_ id: String) -> String { appspecs + "/" + id }
    public func bundle(_ id: String) -> String { bundles + "/" + id }

    /// The symlink text `current` holds for a release: relative, so the tree can move.
    public static func linkText(_ id: String) -> String { "releases/" + id }

    /// The release id a `current` link text names (its last component).
    public static func releaseID(fromLink text: String) -> String? {
        text.split(separator: "/").last.map(String.init)
    }
}

/// Release ids come from the target's own journal: a monotonic sequence, the UTC time and the
/// artifact's short digest (`000042-20261128T044305Z-3f2a9c1b0d4e`), so they sort by age
/// without trusting any clock or directory mtime.
public enum ReleaseID {
    public static func make(sequence: Int, time: Date, digest: Digest) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return String(format: "%06d", sequence) + "-" + formatter.string(from: time) + "-" + digest.short
    }

    /// The sequence number at the front of an id (0 when it has another shape).
    public static func sequence(of id: String) -> Int {
        Int(id.prefix { $0.isNumber }) ?? 0
    }

    /// True for names Slipway could have made: no dot files, no path tricks.
    public static func isValid(_ id: String) -> Bool {
        !id.isEmpty && !id.hasPrefix(".") && !id.contains("/") && id.count < 200
    }
}
