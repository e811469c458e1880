import Foundation

/// The part of a GitHub-style push payload Slipway acts on (Gitea, Forgejo and GitLab's
/// GitHub-compatible hooks send the same fields). Everything in it comes from the network:
/// only its signature, checked before decoding, makes it trusted.
public struct PushEvent: Decodable, Sendable, Equatable {
    public struct Repository: Decodable, Sendable, Equatable {
        public var clone_url: String?
        public var ssh_url: String?
        public var git_url: String?
        public var html_url: String?
        public var url: String?
        public var full_name: String?
    }

    public struct Person: Decodable, Sendable, Equatable {
        public var name: String?
        public var login: String?
    }

    public var ref: String
    public var after: String?
    public var deleted: Bool?
    public var repository: Repository
    public var pusher: Person?
    public var sender: Person?

    /// Decodes a push body; a payload without `ref` and `repository` as GitHub sends them is
    /// refused with one sentence that says so.
    public static func decode(_ body: Data) throws(PushEventError) -> PushEvent {
        do {
            return try JSONDecoder().decode(PushEvent.self, from: body)
        } catch {
            throw PushEventError()
        }
    }

    /// The pushed branch; nil for tags and other refs.
    public var branch: String? {
        ref.hasPrefix("refs/heads/") && ref.count > "refs/heads/".count ? String(ref.dropFirst("refs/heads/".count)) : nil
    }

    /// Every way the payload names the repository, in order, without repeats: a pipeline may
    /// be registered with any of them.
    public var repositoryNames: [String] {
        let r = repository
        var seen = Set<String>()
        return [r.clone_url, r.ssh_url, r.git_url, r.html_url, r.url, r.full_name]
            .compactMap { $0 }.filter { !$0.isEmpty && seen.insert($0).inserted }
    }

    /// Who pushed, for the audit trail.
    public var actor: String? { pusher?.name ?? sender?.login }

    /// What a delivery of this push asks for: runs of the pipelines watching one of
    /// `repositories` on `branch`, or nothing, with the reason.
    public var action: PushAction {
        guard let branch else { return .ignore("\(ref) is not a branch") }
        if deleted == true { return .ignore("branch \(branch) was deleted") }
        if repositoryNames.isEmpty { return .ignore("the payload names no repository") }
        return .start(branch: branch, repositories: repositoryNames)
    }
}

/// What a push delivery asks for.
public enum PushAction: Sendable, Equatable {
    case start(branch: String, repositories: [String])
    case ignore(String)
}

/// A body that is not a push payload.
public struct PushEventError: Error, CustomStringConvertible, Sendable {
    public var description: String { "the push payload needs `ref` and `repository` as GitHub sends them" }
}
