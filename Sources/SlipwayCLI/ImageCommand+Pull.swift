import ArgumentParser
import Foundation
import Images
import Registry
import SlipwayCore

extension ImageCommand {
    struct Pull: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "pull",
            abstract: "Pull an image from an OCI registry (Docker Hub, GHCR, ECR, your own).",
            discussion: """
                REF is NAME[:TAG] or NAME@sha256:… with an optional registry host in front \
                (debian:12, ghcr.io/org/tool:1, 127.0.0.1:5000/team/node:20); Docker Hub when \
                there is none. A tag is stored under its name without docker.io (debian:12). \
                Layers stream from the registry into the store, verified against the manifest \
                and the config's diff_ids; layers the store has are not fetched again, and a \
                tag still at the same manifest costs one request. Credentials: \
                SLIPWAY_REGISTRY_AUTH_<HOST>=USER:PASSWORD, then 'slipway image login', then \
                ~/.docker/config.json. Prints the image digest.
                """)
        @Argument(help: "The image reference.") var reference: String
        @Option(help: "OS/ARCH[/VARIANT] to pick from a multi-platform image (default: this machine's).") var platform: String?
        @Option(help: "A PEM file of CA certificates to trust besides the system's.") var ca: String?
        @Flag(help: "The registry speaks plain HTTP (also: SLIPWAY_INSECURE_REGISTRIES=host:port,...).") var insecure = false
        @Flag(help: "Print what the pull did as JSON.") var json = false

        func run() async throws {
            var options = RegistryOptions(home: .fromEnvironment())
            if let platform { options.platform = try RegistryPlatform(parsing: platform) }
            options.caFile = ca.map(SlipwayHome.absolute)
            let parsed = try RegistryReference(parsing: reference)
            if insecure { options.insecure.insert(parsed.registry) }
            let progress = PullProgress.onTerminal()
            let result: PullResult
            do {
                result = try await ImagePuller(store: ImageCommand.store, options: options)
                    .pull(reference, events: { event in progress?.handle(event) })
                progress?.finish()
            } catch {
                progress?.finish()
                throw error
            }
            if json { return try Terminal.json(result) }
            if result.upToDate {
                Terminal.note("\(parsed): up to date")
            } else {
                Terminal.note("\(parsed): \(result.downloadedLayers) layers pulled (\(Terminal.bytes(result.downloadedBytes))), \(result.presentLayers) already in the store")
            }
            print(result.image.digest)
        }
    }

    struct Login: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "login",
            abstract: "Store credentials for a registry; the password is read from stdin.",
            discussion: """
                The credentials are checked against the registry first, then kept in \
                $SLIPWAY_HOME/registries/auth.json (mode 0600) for pulls, including those \
                builds start. Example: printf '%s' "$TOKEN" | slipway image login ghcr.io --username me
                """)
        @Argument(help: "The registry: HOST or HOST:PORT (docker.io for Docker Hub).") var registry: String
        @Option(help: "The user name.") var username: String
        @Option(help: "A PEM file of CA certificates to trust besides the system's.") var ca: String?
        @Flag(help: "The registry speaks plain HTTP.") var insecure = false

        func run() async throws {
            let input = FileHandle.standardInput.readDataToEndOfFile()
            var password = String(decoding: input, as: UTF8.self)
            while password.hasSuffix("\n") || password.hasSuffix("\r") { password.removeLast() }
            guard !password.isEmpty else {
                throw SlipwayError.badInput("no password on stdin; pipe it in: printf '%s' \"$TOKEN\" | slipway image login \(registry) --username \(username)")
            }
            var options = RegistryOptions(home: .fromEnvironment())
            options.caFile = ca.map(SlipwayHome.absolute)
            if insecure { options.insecure.insert(registry) }
            try await ImagePuller(store: ImageCommand.store, options: options).login(registry: registry, username: username, password: password)
            Terminal.note("logged in to \(registry) as \(username)")
        }
    }
}
