import ArgumentParser

struct ImageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "image", abstract: "Import, list and inspect toolchain images.")

    func run() throws {
        throw ValidationError("'slipway image' is not available yet")
    }
}
