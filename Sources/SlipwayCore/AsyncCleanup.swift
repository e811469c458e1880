/// Runs `body`, then `cleanup` whether `body` returned or threw: a `defer` for cleanup that
/// has to await (closing a client's connections, releasing a lock held elsewhere).
public func withCleanup<T>(isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T,
                           cleanup: () async -> Void) async throws -> T {
    let result: T
    do {
        result = try await body()
    } catch {
        await cleanup()
        throw error
    }
    await cleanup()
    return result
}
