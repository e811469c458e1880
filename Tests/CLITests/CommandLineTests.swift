import Foundation
import SlipwayTestSupport
import Testing

/// The command line itself: its version, what a mistyped command is told, and targets,
/// pipelines and files that are not there (exit 2 and a message that says which).
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

    @Test func aMissingTargetIsReported() throws {
        let missing = try cli.run(["releases", "--target", "/nonexistent"])
        #expect(missing.status == 2)
        #expect(missing.stderr == "slipway: error: /nonexistent: no such deploy target (there is no directory)\n", "\(missing.stderr)")
        let empty = try cli.run(["releases", "--target", home.path])
        #expect(empty.status == 2 && empty.stderr.contains("is not a deploy target: nothing was ever deployed there"), "\(empty.stderr)")
        // A rollback lays nothing out at a mistyped path.
        let typo = home.path + "/no-such-site"
        let rollback = try cli.run(["rollback", "--target", typo])
        #expect(rollback.status == 2)
        #expect(rollback.stderr == "slipway: error: \(typo): no such deploy target (there is no directory)\n", "\(rollback.stderr)")
        #expect(!FileManager.default.fileExists(atPath: typo))
    }

    /// `sandbox run`, `rollback` and `releases` are parsed on their own when they parse; their
    /// help, usage errors and validation errors are still the whole tree's.
    @Test func theDirectlyParsedCommandsAnswerAsTheTreeDoes() throws {
        let help = try cli.run(["rollback", "--help"])
        #expect(help.status == 0 && help.stdout.contains("USAGE: slipway rollback "), "\(help)")
        let unknown = try cli.run(["sandbox", "run", "--bogus", "--", "true"])
        #expect(unknown.status == 2 && unknown.stderr.contains("Error: Unknown option '--bogus'"), "\(unknown)")
        #expect(unknown.stderr.contains("Usage: slipway sandbox run ") && unknown.stderr.contains("See 'slipway sandbox run --help'"), "\(unknown)")
        let invalid = try cli.run(["releases"])
        #expect(invalid.status == 2 && invalid.stderr.contains("Error: give --target (one or more) or --stage"), "\(invalid)")
        #expect(invalid.stderr.contains("Usage: slipway releases "), "\(invalid)")
        let version = try cli.run(["rollback", "--version"])
        #expect(version.status == 0 && version.stdout.split(separator: ".").count == 3, "\(version)")
        let noCommand = try cli.run(["sandbox", "run", "--rootfs", home.path])
        #expect(noCommand.status == 2 && noCommand.stderr.contains("give the command after --"), "\(noCommand)")
    }

    @Test func aSizePastWhatFitsIsBadUsageNotACrash() throws {
        let unpack = try cli.run(["artifact", "unpack", "sha256:00", home.path + "/out", "--max-size", "99999999999T"])
        #expect(unpack.status == 2, "\(unpack)")
        #expect(unpack.stderr.contains("99999999999T"), "\(unpack.stderr)")
        let sandbox = try cli.run(["sandbox", "run", "--memory", "1e3G", "--", "true"])
        #expect(sandbox.status == 2 && sandbox.stderr.contains("1e3G"), "\(sandbox)")
    }

    @Test func anUnknownPipelineIsReported() throws {
        let runs = try cli.run(["runs", "--pipeline", "nosuch"])
        #expect(runs.status == 2)
        #expect(runs.stderr.contains("no pipeline 'nosuch'"), "\(runs.stderr)")
        let audit = try cli.run(["audit", "--pipeline", "nosuch"])
        #expect(audit.status == 2 && audit.stderr.contains("no pipeline 'nosuch'"), "\(audit.stderr)")
        let remove = try cli.run(["pipeline", "rm", "nosuch"])
        #expect(remove.status == 2 && remove.stderr.contains("no pipeline 'nosuch'"), "\(remove.stderr)")
    }

    @Test func aMissingFileIsNotCalledADigest() throws {
        let deploy = try cli.run(["deploy", "/missing.tar.zst", "--target", home.path + "/site"])
        #expect(deploy.status == 2)
        #expect(deploy.stderr == "slipway: error: /missing.tar.zst: the file does not exist (ARTIFACT is a tarball path, a digest or a digest prefix)\n",
                "\(deploy.stderr)")
        #expect(!deploy.stderr.contains("digest:"))
        let relative = try cli.run(["deploy", "app.tar.gz", "--target", home.path + "/site"])
        #expect(relative.status == 2 && relative.stderr.contains("app.tar.gz: the file does not exist"), "\(relative.stderr)")
    }
}
