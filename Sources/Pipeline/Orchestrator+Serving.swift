extension Orchestrator {
    /// Runs `body` while the service (`run()`) runs beside it, then stops the service and
    /// waits for it: what a command that starts, waits for or follows runs does. The runs of
    /// processes that are gone are marked `interrupted` before `body` starts.
    public func serving<T>(_ body: () async throws -> T) async throws -> T {
        await recover()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.serve() }
            defer { group.cancelAll() }
            return try await body()
        }
    }
}
