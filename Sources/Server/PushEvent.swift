import Foundation

/// The part of a GitHub-style push payload Slipway acts on (Gitea, Forgejo and GitLab's
/// GitHub-compatible hooks send the same fields).
struct PushEvent: Decodable {
    struct Repository: Decodable {
        var clone_url: String?
        var ssh_url: String?
        var git_url: String?
        var html_url: String?
        var url: String?
        var full_name: String?
    }

    struct Person: Decodable {
        var name: String?
        var login: String?
    }

    var ref: String
    var after: String?
    var deleted: Bool?
    var repository: Repository
    var pusher: Person?
    var sender: Person?

    /// The pushed branch; nil for tags and other refs.
    var branch: String? {
        ref.hasPrefix("refs/heads/") ? String(ref.dropFirst("refs/heads/".count)) : nil
    }

    /// Every way the payload names the repository, in order, without repeats: a pipeline may
    /// be registered with any of them.
    var repositoryNames: [String] {
        let r = repository
        var seen = Set<String>()
        return [r.clone_url, r.ssh_url, r.git_url, r.html_url, r.url, r.full_name]
            .compactMap { $0 }.filter { !$0.isEmpty && seen.insert($0).inserted }
    }

    /// Who pushed, for the audit trail.
    var actor: String? { pusher?.name ?? sender?.login }
}
