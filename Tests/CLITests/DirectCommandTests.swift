import Foundation
import Testing
@testable import SlipwayCLI

/// `sandbox run`, `rollback` and `releases` are parsed on their own when that succeeds (about
/// 20 million instructions less per call); anything else goes to the whole command tree, so
/// help, errors and completion scripts are the tree's (`CommandLineTests` runs them end to end).
@Suite(.tags(.small)) struct DirectCommandTests {
    func direct(_ arguments: [String]) -> Any? { SlipwayCLI.SlipwayCommand.directParse(arguments) }

    @Test func theHotCommandsAreParsedOnTheirOwn() throws {
        let rollback = try #require(direct(["rollback", "--target", "/srv/app", "--to", "3", "--json"]) as? RollbackCommand)
        #expect(rollback.targets == ["/srv/app"] && rollback.to == "3" && rollback.json)
        #expect(rollback.grace == 600 && rollback.wait == 0, "defaults are the declared ones")
        let run = try #require(direct(["sandbox", "run", "--rootfs", "/r", "--memory", "512M", "--env", "A=1", "--", "/bin/true", "-x"]) as? SandboxCommand.Run)
        #expect(run.rootfs == "/r" && run.memory?.bytes == 512 << 20 && run.env == ["A=1"] && run.command == ["/bin/true", "-x"])
        #expect(run.network == .none && run.seccomp == .default)
        let releases = try #require(direct(["releases", "--target", "a", "--target", "b"]) as? ReleasesCommand)
        #expect(releases.targets == ["a", "b"] && !releases.json)
    }

    @Test func everythingElseIsLeftToTheWholeTree() {
        let others: [[String]] = [
            [], ["--version"], ["--help"], ["help", "rollback"], ["deploy", "--target", "a"], ["sandbox", "bench"],
            ["rollback", "--help"], ["rollback", "-h"], ["rollback", "--version"],
            ["rollback"], ["rollback", "--target", "a", "--health-url", "u", "--health-cmd", "c"],
            ["rollback", "--target", "a", "--generate-completion-script", "bash"],
            ["rollback", "--target", "a", "--experimental-dump-help"],
            ["releases", "--target"], ["releases", "--target", "a", "extra"],
            ["sandbox", "run", "--bogus"], ["sandbox", "run", "--memory", "lots", "--", "true"], ["sandbox", "run", "--help"],
            ["sandbox", "runx"],
        ]
        for arguments in others {
            #expect(direct(arguments) == nil, "\(arguments)")
        }
    }
}
