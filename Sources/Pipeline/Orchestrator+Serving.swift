extension Orchestrator {
    /// Runs `body` while the service (`run()`) runs beside it, then stops the service and
    /// waits for it: what a command that starts, waits for or follows runs does. It takes
    /// over no other process's runs: only `slipway serve` does (`run(adopting:)`), and a
    /// `slipway run` of a commit whose run lost its process (`start`).
    public func serving<T>(_ body: () async throws -> T) async throws -> T {
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.serve() }
            defer { group.cancelAll() }
            return try await body()
        }
    }
}
