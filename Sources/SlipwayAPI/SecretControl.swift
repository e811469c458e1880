/// Secrets as the service may handle them: set, list by name, remove; never read. A secret
/// belongs to one pipeline or, with `pipeline` nil, to every pipeline.
public protocol SecretControl: Sendable {
    /// The names of the secrets in one scope, sorted (never values).
    func secretNames(pipeline: String?) async throws -> [String]
    /// Stores or replaces a secret; recorded in the audit trail as `actor`'s.
    func setSecret(_ name: String, value: String, pipeline: String?, by actor: String) async throws
    /// Removes a secret; false when there was none.
    func removeSecret(_ name: String, pipeline: String?, by actor: String) async throws -> Bool
}
