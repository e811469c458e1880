import ArgumentParser

struct SandboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sandbox", abstract: "Run a command in an isolated sandbox.")

    func run() throws {
        throw ValidationError("'slipway sandbox' is not available yet")
    }
}
