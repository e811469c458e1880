import ArgumentParser

struct DeployCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "deploy", abstract: "Install an artifact as a new release and switch to it.")

    func run() throws {
        throw ValidationError("'slipway deploy' is not available yet")
    }
}
