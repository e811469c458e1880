import Secrets
import SlipwayAPI
import SlipwayCore
import State

/// The service's side of `slipway secret`: set, list and remove, each change in the audit
/// trail; values are never read back.
extension Orchestrator: SecretControl {
    public func secretNames(pipeline: String?) async throws -> [String] {
        let scope = try await secretScope(pipeline)
        let secrets = SecretStore(home: home)
        return try await BlockingPool.git.run { try secrets.names(scope) }
    }

    public func setSecret(_ name: String, value: String, pipeline: String?, by actor: String) async throws {
        let scope = try await secretScope(pipeline)
        let secrets = SecretStore(home: home)
        try await BlockingPool.git.run { try secrets.set(name, value: value, scope: scope) }
        await audit(actor, .secret, pipeline: pipeline, run: nil, "set '\(name)' (\(scope))")
    }

    public func removeSecret(_ name: String, pipeline: String?, by actor: String) async throws -> Bool {
        let scope = try await secretScope(pipeline)
        let secrets = SecretStore(home: home)
        let removed = try await BlockingPool.git.run { try secrets.remove(name, scope: scope) }
        if removed { await audit(actor, .secret, pipeline: pipeline, run: nil, "removed '\(name)' (\(scope))") }
        return removed
    }

    /// A pipeline's scope only for a registered pipeline, so a misspelt name does not store a
    /// secret no build will ever see.
    private func secretScope(_ pipeline: String?) async throws -> SecretStore.Scope {
        guard let pipeline else { return .global }
        guard try await store.pipeline(pipeline) != nil else {
            throw SlipwayError.notFound("no pipeline '\(pipeline)'; see 'slipway pipeline ls'")
        }
        return .pipeline(pipeline)
    }
}
