import Archive
import ArgumentParser
import Artifacts
import Foundation
import Pipeline
import SlipwayCore
import Specs

struct ArtifactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "artifact",
        abstract: "Pack, store, verify and unpack content-addressed artifacts.",
        subcommands: [Pack.self, Import.self, List.self, Show.self, Export.self, Unpack.self, Verify.self, GC.self, Push.self, Fetch.self])

    static var store: ArtifactStore { ArtifactStore(home: .fromEnvironment()) }

    /// Runs a write to the store; SIGINT or SIGTERM meanwhile removes this process's partial
    /// blob from the store's staging directory and exits 130 (143): nothing is left behind.
    static func interruptible<T>(_ store: ArtifactStore, _ write: () throws -> T) rethrows -> T {
        let sources = discardingOnSignal(store)
        defer { sources.forEach { $0.cancel() } }
        return try write()
    }

    static func interruptible<T>(_ store: ArtifactStore, _ write: () async throws -> T) async rethrows -> T {
        let sources = discardingOnSignal(store)
        defer { sources.forEach { $0.cancel() } }
        return try await write()
    }

    private static func discardingOnSignal(_ store: ArtifactStore) -> [DispatchSourceSignal] {
        SignalHandlers.install { signo in
            store.discardOwnStaging()
            Terminal.note("\ninterrupted: nothing was stored")
            _exit(128 + signo)
        }
    }

    struct Pack: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "pack",
            abstract: "Pack a directory into a deterministic tarball in the store and print its digest.",
            discussion: """
                Entry mtimes are $SOURCE_DATE_EPOCH (else 0); the same tree gives the same bytes anywhere. \
                Interrupted (Ctrl-C, SIGTERM), it leaves nothing in the store; a partial blob of a \
                pack that was killed is removed by the next pack and by gc.
                """)
        @Argument(help: "The directory to pack.") var directory: String
        @Option(help: "zstd (default), gzip or none.") var compression: Compression = .zstd
        @Option(help: "Compression level (zstd 1-19, default 3; gzip 1-9, default 6).") var level: Int?
        @Option(help: "Source commit to record as provenance.") var commit: String?
        @Flag(help: "Print JSON: digest, size, files, blob.") var json = false

        func run() throws {
            let mtime = try sourceDateEpoch()
            let store = ArtifactCommand.store
            let record = try ArtifactCommand.interruptible(store) {
                try store.pack(directory: directory, compression: compression, level: level, mtime: mtime,
                               provenance: Provenance(sourceCommit: commit, sourcePath: SlipwayHome.absolute(directory)),
                               progress: Terminal.progress("packing"))
            }
            if json {
                try Terminal.json(PackOutput(record))
            } else {
                print(record.digest)
            }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "import", abstract: "Store an existing tarball (tar, tar.gz, tar.zst, tar.xz) as it is.")
        @Argument(help: "The tarball.") var file: String
        @Flag var json = false

        func run() throws {
            let store = ArtifactCommand.store
            let record = try ArtifactCommand.interruptible(store) { try store.importTarball(file) }
            if json { try Terminal.json(PackOutput(record)) } else { print(record.digest) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List stored artifacts, newest first.")
        @Flag var json = false

        func run() throws {
            let records = try ArtifactCommand.store.list()
            if json { return try Terminal.json(records) }
            print("DIGEST        SIZE        FILES  CREATED               COMMIT")
            let formatter = ISO8601DateFormatter()
            for r in records {
                let size = Terminal.bytes(r.blob.size).padding(toLength: 11, withPad: " ", startingAt: 0)
                let files = String(r.files ?? 0).padding(toLength: 6, withPad: " ", startingAt: 0)
                print("\(r.shortDigest)  \(size) \(files) \(formatter.string(from: r.created))  \(r.provenance.sourceCommit?.prefix(12) ?? "-")")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show an artifact's record.")
        @Argument(help: "A digest or a unique prefix.") var digest: String
        @Flag var json = false

        func run() throws {
            let record = try ArtifactCommand.store.resolve(digest)
            if json { return try Terminal.json(record) }
            print("""
                digest:      \(record.digest)
                size:        \(record.size) bytes (uncompressed tar)
                blob:        \(record.blob.digest) (\(record.blob.compression.rawValue), \(record.blob.size) bytes)
                media type:  \(record.mediaType)
                files:       \(record.files.map(String.init) ?? "-")
                created:     \(ISO8601DateFormatter().string(from: record.created))
                commit:      \(record.provenance.sourceCommit ?? "-")
                build:       \(record.provenance.buildID ?? "-")
                image:       \(record.provenance.imageDigest?.description ?? "-")
                """)
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "export", abstract: "Write the stored tarball to FILE, or to stdout with '-'. Verified first.")
        @Argument(help: "A digest or a unique prefix.") var digest: String
        @Argument(help: "Destination file, or - for stdout.") var file: String

        func run() throws {
            let store = ArtifactCommand.store
            try store.export(try store.resolve(digest), to: file)
        }
    }

    struct Unpack: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "unpack",
            abstract: "Extract an artifact into a new directory, safely.",
            discussion: "Entries that leave the directory, write through symlinks, or are devices are refused; the blob is verified in the same pass; on any error nothing is left behind.")
        @Argument(help: "A digest or a unique prefix.") var digest: String
        @Argument(help: "A directory that does not exist yet (or is empty).") var directory: String
        @Option(help: "Refuse archives larger than this when unpacked (e.g. 500M, 2G).") var maxSize: ByteCount?
        @Option(help: "Refuse archives with more entries than this.") var maxEntries: Int?
        @Flag var json = false

        func run() throws {
            let store = ArtifactCommand.store
            var options = ExtractOptions.artifact
            if let maxSize { options.maxBytes = maxSize.bytes }
            if let maxEntries { options.maxEntries = maxEntries }
            let stats = try store.unpack(try store.resolve(digest), to: directory, options: options)
            if json { try Terminal.json(stats) }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "verify", abstract: "Re-hash one artifact, or all; exit 1 naming any that is corrupt.")
        @Argument(help: "A digest or a unique prefix; all artifacts when omitted.") var digest: String?
        @Flag var json = false

        func run() throws {
            let store = ArtifactCommand.store
            let records = try digest.map { [try store.resolve($0)] } ?? store.list()
            var results: [VerifyOutput] = []
            for record in records {
                do {
                    try store.verify(record)
                    results.append(VerifyOutput(digest: record.digest, ok: true, error: nil))
                } catch let error as SlipwayError {
                    results.append(VerifyOutput(digest: record.digest, ok: false, error: error.description))
                }
            }
            if json {
                try Terminal.json(results)
            } else {
                for r in results { print(r.ok ? "ok       \(r.digest)" : "CORRUPT  \(r.error ?? r.digest.description)") }
            }
            if results.contains(where: { !$0.ok }) { throw ExitCode(1) }
        }
    }

    struct GC: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gc", abstract: "Remove artifacts nothing needs, keeping the newest N.",
            discussion: """
                Kept: artifacts of every release still on a target's disk, of every pipeline run its \
                pipeline's retention rule keeps (slipway.yml's retention: runs and days), of other \
                builds younger than --keep-builds-for, artifacts a deploy or unpack is reading right \
                now, and the newest --keep-last. Everything else goes, built artifacts included.
                """)
        @Option(help: "Keep this many newest artifacts even if unreferenced.") var keepLast = 10
        @Option(help: "Days a build outside a pipeline keeps its artifacts.") var keepBuildsFor = 30
        @Flag(help: "Only say what would be removed.") var dryRun = false
        @Flag var json = false

        @OptionGroup var state: DatabaseOption

        func run() async throws {
            guard keepBuildsFor >= 0 else { throw SlipwayError.badInput("--keep-builds-for must be 0 or more days") }
            let home = SlipwayHome.fromEnvironment()
            // Opened for writing: an older state database is upgraded, not refused.
            let runs = try await state.orchestrator(home: home).retainedArtifacts()
            let report = try ArtifactStore(home: home).collectGarbage(keepLast: keepLast, dryRun: dryRun,
                                                                      buildRetention: Double(keepBuildsFor) * 86400, roots: runs)
            if json { return try Terminal.json(report) }
            for item in report.removed { print((dryRun ? "would remove " : "removed ") + item) }
            print("\(report.kept) kept, \(report.removed.count) \(dryRun ? "to remove" : "removed"), \(Terminal.bytes(report.freedBytes)) \(dryRun ? "to free" : "freed")")
        }
    }
}

struct PackOutput: Encodable {
    var digest: Digest
    var size: Int64
    var files: Int
    var blob: BlobInfo

    init(_ r: ArtifactRecord) {
        digest = r.digest
        size = r.size
        files = r.files ?? 0
        blob = r.blob
    }
}

struct VerifyOutput: Encodable {
    var digest: Digest
    var ok: Bool
    var error: String?
}

extension Compression: ExpressibleByArgument {}

/// A size on the command line: 512, 64K, 500M, 1.5G (`ByteSize`).
struct ByteCount: ExpressibleByArgument {
    var bytes: Int64

    init?(argument: String) {
        guard let bytes = ByteSize.parse(argument) else { return nil }
        self.bytes = bytes
    }
}

/// SOURCE_DATE_EPOCH, the reproducible-builds convention for "the time of this source".
func sourceDateEpoch() throws -> Int64 {
    guard let text = environmentVariable("SOURCE_DATE_EPOCH"), !text.isEmpty else { return 0 }
    guard let value = Int64(text), value >= 0 else {
        throw SlipwayError.badInput("SOURCE_DATE_EPOCH='\(text)' is not a number of seconds")
    }
    return value
}
