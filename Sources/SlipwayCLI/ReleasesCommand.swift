import ArgumentParser

struct ReleasesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "releases", abstract: "List a target's releases.")

    func run() throws {
        throw ValidationError("'slipway releases' is not available yet")
    }
}
