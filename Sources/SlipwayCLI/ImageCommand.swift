import ArgumentParser
import Foundation
import Images
import Registry
import SlipwayCore

struct ImageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "Pull, import, build, list, inspect and remove toolchain images.",
        discussion: """
            Images are unpacked once per digest under $SLIPWAY_HOME/images/rootfs and shared \
            read-only by every sandbox (each gets its own writable overlay).
            """,
        subcommands: [Pull.self, Login.self, Import.self, Build.self, List.self, Inspect.self, Remove.self])

    static var store: ImageStore { ImageStore(home: .fromEnvironment()) }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "import",
            abstract: "Import a rootfs tarball, an OCI image layout or a docker save tarball.",
            discussion: """
                PATH is a plain rootfs tarball (.tar, .tar.gz, .tar.zst), an OCI image layout \
                (a directory, or a tar of one) or what `docker save` writes (legacy or OCI-based). \
                Layers are applied in order with whiteouts; every blob digest and diff_id is \
                checked; entries cannot leave the image root. Prints the image digest.
                """)
        @Argument(help: "The tarball or OCI layout directory.") var path: String
        @Option(help: "The name to import as: NAME or NAME:TAG (tag 'latest' by default).") var name: String
        @Flag(help: "Print the image record as JSON.") var json = false

        func run() throws {
            let record = try ImageCommand.store.importImage(path: path, reference: name)
            try ImageCommand.show(record, json: json, short: true)
        }
    }

    struct Build: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "build",
            abstract: "Build an image from a recipe directory (images/NAME) and import it.",
            discussion: """
                A recipe is a directory with an executable 'build' that writes a rootfs tarball to \
                its first argument, and optionally a 'parent' file naming the recipe it is layered \
                on (built first, under its own name); see images/README.md. When the recipe's \
                files, its parent and its inputs (DEBIAN_MIRROR, DEBIAN_SUITE, SOURCE_DATE_EPOCH) \
                are unchanged since an image was built from it, nothing runs and that image is \
                tagged again (--force rebuilds, to pick up newer packages). Progress goes to \
                stderr; stdout gets the image digest.
                """)
        @Argument(help: "The recipe directory, e.g. images/busybox.") var recipe: String
        @Option(help: "The name to import as (default: the recipe's directory name).") var name: String?
        @Flag(help: "Build even when the recipe and its inputs are unchanged.") var force = false
        @Flag(help: "Print the image record as JSON.") var json = false

        func run() throws {
            let record = try ImageCommand.store.build(recipe: recipe, reference: name, force: force) { step in
                Terminal.note(ImageCommand.describe(step))
            }
            try ImageCommand.show(record, json: json, short: true)
        }
    }

    static func describe(_ step: ImageStore.BuildProgress) -> String {
        switch step {
        case let .unchanged(recipe, image):
            "\(recipe): unchanged since it was built as \(Digest.algorithmPrefix + image.short) (--force rebuilds)"
        case let .running(recipe, parent):
            "\(recipe): running its build" + (parent.map { " on \($0)" } ?? "")
        case let .importing(recipe, bytes):
            "\(recipe): importing \(Terminal.bytes(bytes))"
        case let .built(recipe, image, seconds):
            "\(recipe): built \(Digest.algorithmPrefix + image.short) in \(String(format: "%.1f", seconds)) s"
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List images by name.")
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let records = try ImageCommand.store.list()
            if json { return try Terminal.json(records) }
            let rows = records.map { r -> [String] in
                let (name, tag) = Self.split(r.reference)
                return [name, tag, Digest.algorithmPrefix + r.digest.short, Terminal.bytes(r.size),
                        r.origin?.reference ?? r.format, ISO8601DateFormatter().string(from: r.created)]
            }
            Self.table(["NAME", "TAG", "DIGEST", "SIZE", "ORIGIN", "CREATED"], rows)
        }

        /// `name` and `tag` of `name:tag` (a `name@sha256:…` reference has no tag).
        static func split(_ reference: String) -> (String, String) {
            if let at = reference.firstIndex(of: "@") { return (String(reference[..<at]), "-") }
            if let colon = reference.lastIndex(of: ":"), !reference[colon...].contains("/") {
                return (String(reference[..<colon]), String(reference[reference.index(after: colon)...]))
            }
            return (reference, "-")
        }

        static func table(_ header: [String], _ rows: [[String]]) {
            let widths = header.indices.map { i in ([header] + rows).map { $0[i].count }.max() ?? 0 }
            for row in [header] + rows {
                print(row.enumerated().map { i, cell in i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                    .joined(separator: "  "))
            }
        }
    }

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Show an image's record: digest, rootfs, layers.")
        @Argument(help: "NAME, NAME:TAG or a digest prefix.") var name: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            try ImageCommand.show(try ImageCommand.store.resolve(name), json: json, short: false)
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm",
            abstract: "Remove a tag; the unpacked image goes with its last tag. A digest removes every tag.")
        @Argument(help: "NAME, NAME:TAG or a digest prefix.") var name: String

        func run() throws {
            try ImageCommand.store.remove(name)
        }
    }

    static func show(_ record: ImageRecord, json: Bool, short: Bool) throws {
        if json { return try Terminal.json(record) }
        if short { return print(record.digest) }
        var lines = ["name:     \(record.reference)", "digest:   \(record.digest)", "format:   \(record.format)"]
        if let origin = record.origin {
            lines += ["origin:   \(origin.reference)", "manifest: \(origin.platformManifest)", "platform: \(origin.platform)"]
        }
        lines += ["size:     \(Terminal.bytes(record.size)) unpacked",
                  "created:  \(ISO8601DateFormatter().string(from: record.created))",
                  "rootfs:   \(record.rootfs)", "layers:   \(record.layers.count)"]
        if let parent = record.parent { lines.append("parent:   \(parent)") }
        if let recipe = record.recipe { lines.append("recipe:   \(recipe)") }
        print(lines.joined(separator: "\n"))
        for layer in record.layers { print("  \(layer)") }
        if let env = record.environment, !env.isEmpty {
            print("env:")
            for pair in env { print("  \(pair)") }
        }
    }
}
