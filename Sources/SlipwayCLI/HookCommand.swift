import ArgumentParser
import Foundation
import Pipeline
import SlipwayCore
import State

struct HookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook",
        abstract: "Tell Slipway about git pushes: install a post-receive hook, or record a push.",
        discussion: """
            'slipway hook install REPO' writes REPO's post-receive hook; on every push of a branch \
            it runs 'slipway hook notify', which records the push in the state database \
            ($SLIPWAY_HOME/state.sqlite). A running 'slipway serve' picks pushes up within a \
            second and starts a run of every pipeline watching that repository and branch.
            """,
        subcommands: [Install.self, Notify.self])

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "install",
            abstract: "Write REPO's post-receive hook (bare or not). Exit status: 0 written, 2 not a repository or a foreign hook exists.")

        @Argument(help: "The git repository pushes go to.") var repository: String

        func run() throws {
            let slipway = URL(fileURLWithPath: CommandLine.arguments[0].contains("/") ? SlipwayHome.absolute(CommandLine.arguments[0])
                                                                                      : "/proc/self/exe").resolvingSymlinksInPath().path
            let file = try HookScript.install(repository: repository, slipway: slipway, home: .fromEnvironment())
            print(file)
        }
    }

    struct Notify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "notify",
            abstract: "Record a push (what the hook runs). Exit status: 0 recorded, 2 bad input.")

        @Option(help: "The repository path or URL, as the pipeline names it.") var repository: String
        @Option(help: "The branch pushed.") var branch: String

        @OptionGroup var state: DatabaseOption

        func run() async throws {
            let repository = repository.contains("://") ? repository : SlipwayHome.absolute(repository)
            try await state.store(home: .fromEnvironment()).recordPush(PushNotice(repository: repository, branch: branch, actor: CLIActor.current))
        }
    }
}
