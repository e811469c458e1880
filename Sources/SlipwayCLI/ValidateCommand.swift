import ArgumentParser

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "validate", abstract: "Check buildspec, appspec and pipeline files.")

    func run() throws {
        throw ValidationError("'slipway validate' is not available yet")
    }
}
