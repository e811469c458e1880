import ArgumentParser

struct RollbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rollback", abstract: "Switch a target back to an earlier release.")

    func run() throws {
        throw ValidationError("'slipway rollback' is not available yet")
    }
}
