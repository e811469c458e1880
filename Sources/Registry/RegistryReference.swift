import Images
import SlipwayCore

/// An image in a registry, as Docker spells it: `[host[:port]/]path[:tag][@sha256:…]`. A first
/// component with a '.' or ':' (or `localhost`) is the registry; otherwise the image is on
/// Docker Hub, where a one-component name is an official image (`debian` is `library/debian`).
public struct RegistryReference: Sendable, Equatable, CustomStringConvertible {
    /// `host[:port]`; Docker Hub is `docker.io`.
    public var registry: String
    /// The repository path in the registry (`library/debian`, `team/node`).
    public var repository: String
    /// The tag; nil for a reference by digest only.
    public var tag: String?
    /// The manifest or index digest a reference pins.
    public var digest: Digest?

    public static let dockerHub = "docker.io"

    public init(parsing text: String) throws {
        var rest = Substring(text)
        if let at = rest.firstIndex(of: "@") {
            do {
                digest = try Digest(parsing: String(rest[rest.index(after: at)...]))
            } catch {
                throw SlipwayError.badInput("'\(text)': the part after '@' must be sha256: and 64 hex digits")
            }
            rest = rest[..<at]
        }
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            tag = String(rest[rest.index(after: colon)...])
            rest = rest[..<colon]
        }
        var parts = rest.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count > 1, ImageReference.isRegistryHost(parts[0]) {
            registry = String(parts.removeFirst())
        } else {
            registry = Self.dockerHub
        }
        if registry == "index.docker.io" || registry == "registry-1.docker.io" { registry = Self.dockerHub }
        if registry == Self.dockerHub && parts.count == 1 { parts.insert("library", at: 0) }
        repository = parts.joined(separator: "/")
        if tag == nil && digest == nil { tag = ImageReference.defaultTag }
        // The name and tag rules are the store's own.
        _ = try ImageReference(parsing: familiarName + ":" + (tag ?? ImageReference.defaultTag))
    }

    /// Whether `text` is meant for a registry rather than a local name: it names a registry
    /// host, a tag or a digest (`debian:12`, `host:5000/team/node`, `name@sha256:…`). A bare
    /// name (`busybox`) is looked up in the store only, where recipes and imports put theirs.
    public static func namesRegistry(_ text: String) -> Bool {
        if text.contains("@") { return true }
        let parts = text.split(separator: "/")
        if parts.count > 1, ImageReference.isRegistryHost(parts[0]) { return true }
        if let colon = text.lastIndex(of: ":"), !text[colon...].contains("/") { return true }
        return false
    }

    /// The host requests go to (Docker Hub's API lives at registry-1.docker.io).
    public var apiHost: String { registry == Self.dockerHub ? "registry-1.docker.io" : registry }

    /// The name without Docker Hub's implied parts: `debian`, `user/tool`, `host:5000/team/node`.
    public var familiarName: String {
        guard registry == Self.dockerHub else { return registry + "/" + repository }
        return repository.hasPrefix("library/") ? String(repository.dropFirst("library/".count)) : repository
    }

    /// The local name a pull by tag stores the image under (`debian:12`).
    public var localTag: ImageReference? {
        guard let tag else { return nil }
        return try? ImageReference(parsing: familiarName + ":" + tag)
    }

    /// The tag or digest requested from the registry.
    public var manifestReference: String { digest?.description ?? tag ?? ImageReference.defaultTag }

    /// Fully qualified: `docker.io/library/debian:12`, `host:5000/team/node@sha256:…`.
    public var description: String {
        registry + "/" + repository + (tag.map { ":" + $0 } ?? "") + (digest.map { "@" + $0.description } ?? "")
    }
}
