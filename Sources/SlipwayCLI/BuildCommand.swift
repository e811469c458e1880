import ArgumentParser

struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "build", abstract: "Run a buildspec in the sandbox and store its artifacts.")

    func run() throws {
        throw ValidationError("'slipway build' is not available yet")
    }
}
