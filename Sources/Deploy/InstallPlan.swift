import Foundation
import SlipwayCore
import Specs

/// How an appspec's `files` and `permissions` map into a release.
///
/// The app root (by default the target's directory) stands for the release itself: a
/// destination equal to it is the release's root, one below it a directory inside the release.
/// A destination elsewhere (`/etc/nginx`) is refused: Slipway only writes inside releases, so
/// the switch stays atomic and a rollback brings everything back. Deploy such files from a hook
/// or give that directory its own target.
public struct InstallPlan: Sendable, Equatable {
    public struct Copy: Sendable, Equatable {
        /// Bundle-relative source ("" for the whole bundle).
        public var source: String
        /// Release-relative destination directory ("" for the release root).
        public var destination: String
    }

    public struct Permission: Sendable, Equatable {
        public var rule: PermissionRule
        /// Release-relative object ("" for the release root).
        public var object: String
    }

    /// True when the release is the bundle as it is (no `files`, or only `/` → app root).
    public var isIdentity: Bool
    public var copies: [Copy]
    public var permissions: [Permission]
    public var fileExistsBehavior: FileExistsBehavior

    public init(spec: AppSpec, appRoot: String) throws {
        let root = Self.normalize(appRoot)
        var copies: [Copy] = []
        for (i, mapping) in spec.files.enumerated() {
            guard let destination = Self.relative(mapping.destination, to: root) else {
                throw SlipwayError.badInput("files[\(i)]: destination \(mapping.destination) is outside the app root \(root): "
                    + "Slipway installs files only inside the release so the switch stays atomic and rollback restores them; "
                    + "deploy that directory as its own target, copy it from a hook, or pass --app-root \(mapping.destination)")
            }
            let source = mapping.source.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            guard !source.split(separator: "/").contains("..") else {
                throw SlipwayError.badInput("files[\(i)]: source \(mapping.source) leaves the bundle")
            }
            copies.append(Copy(source: source, destination: destination))
        }
        isIdentity = copies.isEmpty || copies == [Copy(source: "", destination: "")]
        self.copies = isIdentity ? [] : copies
        permissions = try spec.permissions.enumerated().map { i, rule in
            let object = Self.normalize(rule.object)
            if let inside = Self.relative(object, to: root) { return Permission(rule: rule, object: inside) }
            // An ancestor of the app root (`/`, `/home/ec2-user`) covers everything installed.
            if object == "/" || root.hasPrefix(object + "/") { return Permission(rule: rule, object: "") }
            throw SlipwayError.badInput("permissions[\(i)]: object \(rule.object) is outside the app root \(root): "
                + "Slipway only changes what the deployment installed inside the release")
        }
        fileExistsBehavior = spec.fileExistsBehavior
    }

    static func normalize(_ path: String) -> String {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        return p
    }

    /// `path` relative to `root` ("" when equal), or nil when outside it.
    static func relative(_ path: String, to root: String) -> String? {
        let p = normalize(path)
        if p == root { return "" }
        let prefix = root == "/" ? "/" : root + "/"
        guard p.hasPrefix(prefix) else { return nil }
        let rest = String(p.dropFirst(prefix.count))
        return rest.split(separator: "/").contains("..") ? nil : rest
    }
}
