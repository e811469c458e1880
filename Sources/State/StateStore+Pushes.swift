import Foundation

/// A push a git hook reported (`slipway hook notify`), waiting for a poller to start its runs.
public struct PushNotice: Sendable, Equatable {
    public var repository: String
    public var branch: String
    public var actor: String

    public init(repository: String, branch: String, actor: String) {
        self.repository = repository
        self.branch = branch
        self.actor = actor
    }
}

extension StateStore {
    public func recordPush(_ push: PushNotice) async throws {
        try await write { tx in
            try tx.execute("INSERT INTO push (repository, branch, actor, time) VALUES (?, ?, ?, ?)",
                           [push.repository, push.branch, push.actor, Date().timeIntervalSince1970])
        }
    }

    /// Pending pushes, oldest first, marked handled in the same transaction so two pollers
    /// never take the same one.
    public func takePushes() async throws -> [PushNotice] {
        try await write { tx in
            let pushes = try tx.rows("SELECT * FROM push WHERE handled = 0 ORDER BY id")
                .map { PushNotice(repository: $0["repository"], branch: $0["branch"], actor: $0["actor"]) }
            try tx.execute("UPDATE push SET handled = 1 WHERE handled = 0")
            return pushes
        }
    }
}
