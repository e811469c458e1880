import Foundation
import SlipwayTestSupport
import Testing

/// The command line itself: its version, and what a mistyped command is told.
@Suite(.tags(.large)) struct CommandLineTests {
    let home: TemporaryDirectory
    var cli: SlipwayCommand { SlipwayCommand(home: home.path) }

    init() throws {
        home = try TemporaryDirectory("slipway-cli")
    }

    @Test func versionIsPrinted() throws {
        let r = try cli.run(["--version"])
        #expect(r.status == 0)
        #expect(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3, "\(r.stdout)")
    }

    @Test func aMistypedCommandGetsTheClosestName() throws {
        let r = try cli.run(["rnu", "."])
        #expect(r.status == 2)
        #expect(r.stderr == "slipway: error: unknown command 'slipway rnu' (did you mean 'run'?); see 'slipway --help'\n", "\(r.stderr)")
        let nested = try cli.run(["artifact", "lss"])
        #expect(nested.status == 2 && nested.stderr.contains("unknown command 'slipway artifact lss' (did you mean 'ls'?)"))
        let far = try cli.run(["frobnicate"])
        #expect(far.status == 2 && far.stderr.contains("unknown command 'slipway frobnicate'; see 'slipway --help'"))
        // Arguments of a command that takes them are not commands.
        #expect(try cli.run(["help", "run"]).status == 0)
        #expect(try cli.run(["validate", "--help"]).status == 0)
    }
}
