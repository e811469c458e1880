import ArgumentParser
import Foundation
import SlipwayTestSupport
import Testing
@testable import SlipwayCLI

/// `sandbox run` and a rollback of one target are read without swift-argument-parser in their
/// plain forms; each form must read exactly as the parser reads it, and everything else must
/// be left to the parser (whose errors and help `CommandLineTests` checks end to end).
@Suite(.tags(.small)) struct HotCommandTests {
    /// What the parser makes of `arguments`, as a `HotCommand` (nil: not one of its forms).
    func parsed(_ arguments: [String]) throws -> HotCommand? {
        let command = try SlipwayCommand.parseAsRoot(arguments)
        if let run = command as? SandboxCommand.Run { return .sandboxRun(run.options) }
        if let rollback = command as? RollbackCommand { return rollback.single.map(HotCommand.rollback) }
        return nil
    }

    @Test(arguments: [
        ["sandbox", "run", "--rootfs", "/r", "--", "/bin/true"],
        ["sandbox", "run", "--image", "alpine", "--workspace", "w", "--", "sh", "-c", "echo --rootfs x"],
        ["sandbox", "run", "--rootfs=/r", "--memory", "512M", "--pids=64", "--cpus", "1.5", "--tmp-size", "1G",
         "--upper-size=2G", "--network", "host", "--seccomp", "unconfined", "--timeout", "500ms",
         "--env", "A=1", "--env=B=x=y", "--bind", "/src:/dst:ro", "--bind", "s:/d", "--", "/bin/sh", "--", "-x"],
        ["sandbox", "run", "--timeout", "30", "--rootfs", "/r", "--", "--", "x"],
        ["rollback", "--target", "/srv/app"],
        ["rollback", "--target=/srv/app", "--to", "3", "--json", "--wait", "2.5"],
        ["rollback", "--health-url", "http://127.0.0.1:8080/", "--target", "ssh://deploy@web1/srv/app", "--to=000004"],
        ["rollback", "--target", "/srv/app", "--health-cmd", "curl -f localhost"],
    ])
    func plainFormsReadAsTheParserReadsThem(_ arguments: [String]) throws {
        let hot = try #require(HotCommand.parse(arguments), "\(arguments) is read by hand")
        #expect(hot == (try parsed(arguments)), "\(arguments)")
    }

    @Test func everythingElseIsLeftToTheParser() {
        let others: [[String]] = [
            ["sandbox", "run"], ["sandbox", "run", "--rootfs", "/r"], ["sandbox", "run", "--rootfs", "/r", "--"], ["sandbox", "run", "--rootfs", "/r", "--", "--"],
            ["sandbox", "run", "--rootfs", "/r", "/bin/true"], ["sandbox", "run", "-h"], ["sandbox", "run", "--help"],
            ["sandbox", "run", "--bogus", "--", "true"], ["sandbox", "run", "--memory", "lots", "--", "true"],
            ["sandbox", "run", "--rootfs", "/a", "--rootfs", "/b", "--", "true"], ["sandbox", "run", "--rootfs", "--", "true"],
            ["sandbox", "run", "--rootfs=", "--", "true"], ["sandbox", "run", "--network", "bridge", "--", "true"],
            ["sandbox", "run", "--env", "=x", "--", "true"], ["sandbox", "run", "--env", "NOEQUALS", "--", "true"],
            ["sandbox", "run", "--bind", "/a:relative", "--", "true"], ["sandbox", "run", "--timeout", "0", "--", "true"],
            ["sandbox", "run", "--pids", "many", "--", "true"], ["sandbox", "run", "--cpus", "x", "--", "true"],
            ["sandbox", "bench"], ["sandbox", "runx", "--", "true"],
            ["rollback"], ["rollback", "--help"], ["rollback", "--version"], ["rollback", "--target"],
            ["rollback", "--target", "a", "--target", "b"], ["rollback", "--target", "s3://bucket/site"],
            ["rollback", "--stage", "production"], ["rollback", "--target", "a", "--drain", "x"],
            ["rollback", "--target", "a", "--batch", "one"], ["rollback", "--target", "a", "--grace", "5"],
            ["rollback", "--target", "a", "--health-url", "u", "--health-cmd", "c"], ["rollback", "--target", "a", "--json=true"],
            ["rollback", "--target", "a", "--json", "--json"], ["rollback", "--target", "a", "--wait", "soon"],
            ["rollback", "--target", "a", "extra"], ["rollback", "--target", "a", "--to", "-1"],
            ["rollback", "--target", "a", "--", "x"], ["rollback", "--target", "a", "--generate-completion-script", "bash"],
            ["releases", "--target", "a"], ["deploy", "--target", "a"], [], ["--version"],
        ]
        for arguments in others {
            #expect(HotCommand.parse(arguments) == nil, "\(arguments)")
        }
    }

    /// An option added to either command must be read by hand or left to the parser on purpose.
    @Test func everyOptionIsReadByHandOrLeftToTheParserOnPurpose() throws {
        func options(_ help: String) -> Set<String> {
            let names = try! NSRegularExpression(pattern: "--([a-z][a-z-]*)")
            return Set(names.matches(in: help, range: NSRange(help.startIndex..., in: help)).map { String(help[Range($0.range(at: 1), in: help)!]) })
        }
        let sandbox = options(SandboxCommand.Run.helpMessage(columns: 400))
        #expect(sandbox.subtracting(["help"]) == Set(SandboxRunOptions.optionNames))
        let rollback = options(RollbackCommand.helpMessage(columns: 400))
        let readByHand: Set<String> = ["target", "to", "health-url", "health-cmd", "wait", "json"]
        let leftToTheParser: Set<String> = ["help", "stage", "pipeline", "file", "database", "batch", "minimum-healthy-hosts",
                                            "drain", "undrain", "grace"]
        #expect(rollback.subtracting(leftToTheParser) == readByHand)
    }
}
