import ArgumentParser
import Foundation
import SlipwayCore

/// Runs the CLI with Slipway's exit statuses: 0 success, 1 the job failed, 2 bad usage or input.
public enum SlipwayMain {
    /// Answers `--version` and the `HotCommand`s and exits; returns for everything else. Called
    /// before the first `await`, on the main thread, so those calls never start the
    /// concurrency runtime's threads.
    public static func runWithoutConcurrency(_ arguments: [String]? = nil) {
        let arguments = arguments ?? Array(CommandLine.arguments.dropFirst())
        // Answered before the argument parser's first use, which costs about 12 million
        // instructions (three times the rest of this process) in Swift protocol-conformance
        // scans: the parser reflects its completion-script options on every call, and each
        // first cast scans this binary's 11,000 conformance records. `write`, not `print`:
        // print's casts of its argument scan them too.
        if arguments == ["--version"] {
            let line = SlipwayVersion.number + "\n"
            _ = line.withCString { write(STDOUT_FILENO, $0, strlen($0)) }
            exit(0)
        }
        guard let hot = HotCommand.parse(arguments) else { return }
        do {
            try hot.run()
            exit(0)
        } catch {
            fail(error)
        }
    }

    public static func run(_ arguments: [String]? = nil) async -> Never {
        let arguments = arguments ?? Array(CommandLine.arguments.dropFirst())
        runWithoutConcurrency(arguments)
        do {
            var command: ParsableCommand
            if let direct = SlipwayCommand.directParse(arguments) {
                command = direct
            } else {
                if let unknown = CommandSuggestion.check(arguments, root: SlipwayCommand.self) {
                    Terminal.error(unknown)
                    exit(2)
                }
                command = try SlipwayCommand.parseAsRoot(arguments)
            }
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
            exit(0)
        } catch {
            fail(error)
        }
    }

    /// Reports `error` and exits with its status.
    static func fail(_ error: any Error) -> Never {
        if let error = error as? SlipwayError {
            Terminal.error(error.description)
            exit(error.exitCode)
        }
        if let code = error as? ExitCode { exit(code.rawValue) }
        let code = SlipwayCommand.exitCode(for: error)
        let message = SlipwayCommand.fullMessage(for: error)
        if code == .success {
            print(message)
            exit(0)
        }
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(code == .validationFailure ? 2 : code.rawValue)
    }
}

public struct SlipwayCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "slipway",
        abstract: "Build and deploy from git commits on your own machines.",
        discussion: """
            State lives under $SLIPWAY_HOME (default: /var/lib/slipway for root, \
            ~/.local/share/slipway otherwise).
            Exit status: 0 success, 1 the job failed, 2 bad usage or bad input.
            """,
        version: SlipwayVersion.number,
        subcommands: [
            ArtifactCommand.self, ImageCommand.self, SandboxCommand.self, ValidateCommand.self,
            BuildCommand.self, DeployCommand.self, RollbackCommand.self, ReleasesCommand.self,
            RunCommand.self, RunsCommand.self, LogsCommand.self, ApproveCommand.self, CancelCommand.self, RetryCommand.self, HookCommand.self, PipelineCommand.self,
            AuditCommand.self,
            ServeCommand.self, WorkerCommand.self, WorkersCommand.self, SecretCommand.self, StateCommand.self,
        ])

    public init() {}

    /// The commands scripts and deploys call often, each a whole process that is mostly start-up:
    /// parsed as roots of their own, without the tree of every command above them.
    static var directCommands: [(path: [String], command: ParsableCommand.Type)] {
        [(["sandbox", "run"], SandboxCommand.Run.self), (["rollback"], RollbackCommand.self), (["releases"], ReleasesCommand.self)]
    }

    /// `arguments` parsed as one of the `directCommands` alone, or nil for everything else:
    /// help, a completion-script request, a bad option, a failed validation. Those are left to
    /// the whole tree, so what they print is what it prints. Parsing the whole tree costs about
    /// 20 million instructions more, nearly all Swift protocol-conformance scans: the parser
    /// reflects its completion-script options first (a direct command skips that check, see
    /// `direct(_:)`), then the path through the tree.
    static func directParse(_ arguments: [String]) -> ParsableCommand? {
        for (path, type) in directCommands where arguments.starts(with: path) {
            guard let command = try? type.parseAsRoot(Array(arguments.dropFirst(path.count))),
                  Swift.type(of: command) == type else { return nil }
            return command
        }
        return nil
    }
}

extension CommandConfiguration {
    /// The configuration of one of `SlipwayCommand.directCommands`. `parent`, the command path
    /// above it, tells the parser this command is parsed on its own only for speed: it then
    /// skips the completion-script check, which only the whole tree answers. As a subcommand
    /// in the tree, where only the root's is read, it changes nothing.
    static func direct(_ name: String, parent: String, abstract: String, discussion: String) -> CommandConfiguration {
        CommandConfiguration(commandName: name, _superCommandName: parent, abstract: abstract, discussion: discussion)
    }
}
