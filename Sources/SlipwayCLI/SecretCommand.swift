import ArgumentParser
import Foundation
import Secrets
import SlipwayCore

struct SecretCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secret",
        abstract: "Store secrets for builds: set (value from stdin), ls (names only), rm.",
        discussion: """
            Secrets are sealed at rest (AES-256-GCM) under $SLIPWAY_HOME/secrets with a key made on \
            first use ($SLIPWAY_HOME/secrets/key, mode 0600) or given as SLIPWAY_SECRET_KEY (32 bytes, \
            base64). A build gets one only where its buildspec names it (env.parameter-store or \
            env.secrets-manager, by the name written there) or its pipeline maps it \
            (build.secrets: {NPM_TOKEN: npm-token} in slipway.yml); its value is masked in logs \
            (also base64 and URL-encoded) and never part of the result key or the run record. \
            A pipeline's own secret wins over a global one of the same name.
            """,
        subcommands: [Set.self, List.self, Remove.self])

    struct Scope: ParsableArguments {
        @Option(help: "The pipeline the secret belongs to; default: every pipeline (global).") var pipeline: String?

        var scope: SecretStore.Scope { pipeline.map { .pipeline($0) } ?? .global }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set",
            abstract: "Store NAME with the value read from stdin (one trailing newline dropped). Exit status: 0 stored, 2 bad input.")

        @Argument(help: "The name builds use: the parameter-store or secrets-manager name, or any name build.secrets maps.") var name: String
        @OptionGroup var scope: Scope

        func run() throws {
            if isatty(0) == 1 { Terminal.note("reading the value of '\(name)' from stdin (end with Ctrl-D)") }
            var value = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            // "\r\n" is one Character in Swift: removeLast() drops the whole line ending.
            if value.hasSuffix("\r\n") || value.hasSuffix("\n") { value.removeLast() }
            try SecretStore(home: .fromEnvironment()).set(name, value: value, scope: scope.scope)
            Terminal.note("stored secret '\(name)' (\(scope.scope))")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List secret names (never values).")

        @OptionGroup var scope: Scope
        @Flag(help: "Print JSON: {\"scope\", \"names\"}.") var json = false

        struct Listing: Encodable {
            var scope: String
            var names: [String]
        }

        func run() throws {
            let names = try SecretStore(home: .fromEnvironment()).names(scope.scope)
            if json { return try Terminal.json(Listing(scope: scope.scope.description, names: names)) }
            for name in names { print(name) }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm",
            abstract: "Remove a secret. Exit status: 0 removed, 2 no such secret.")

        @Argument(help: "The secret's name.") var name: String
        @OptionGroup var scope: Scope

        func run() throws {
            guard try SecretStore(home: .fromEnvironment()).remove(name, scope: scope.scope) else {
                throw SlipwayError.notFound("no secret '\(name)' (\(scope.scope)); see 'slipway secret ls\(scope.pipeline.map { " --pipeline \($0)" } ?? "")'")
            }
        }
    }
}
