// swift-tools-version: 6.1
import PackageDescription

// Dependency arrows point down: a target imports only targets in the rows above it.
//   CLinux (Linux calls), CArchive, CZstd, CZlib, CSeccomp (system libraries)
//   SlipwayCore (errors, hashing, paths, processes; CLinux)    Specs (buildspec, appspec, slipway.yml: Yams only)
//   SandboxWire (the sandbox's spec and reports: the standard library only)
//   Archive (SlipwayCore, the C libraries)    Sandbox (SlipwayCore, CLinux, CSeccomp, SandboxWire)
//   SlipwayAPI (run records and the control protocol: SlipwayCore)
//   Artifacts (Archive)    Images (Archive, CLinux)    Secrets (SlipwayCore, Crypto)
//   Webhooks (push payloads: Foundation only)
//   State (SlipwayAPI, Specs: worker labels, GRDB, PostgresNIO)    Server (SlipwayAPI, Webhooks, Hummingbird: knows the pipeline only through SlipwayAPI)
//   Registry (Images, AsyncHTTPClient: pulls from OCI registries; Images itself knows no HTTP)
//   Build (Specs, Sandbox, Images, Artifacts)   Deploy (Specs, Artifacts, CLinux)   Notifications (Specs, AsyncHTTPClient)
//   StaticSite (Deploy, ObjectStorage: S3 static-site targets)
//   Pipeline (Build, Deploy, State, Secrets, Registry: implements SlipwayAPI's control protocol)
//   SlipwayCLI (wires Pipeline into Server) → slipway
//   SandboxRuntime (the helper's logic: CLinux, SandboxWire) → SandboxHelper (slipway-sandbox, static).
// Tests: SlipwayTestSupport (Images, SlipwayCore, Crypto) is shared by every test target.
let package = Package(
    name: "Slipway",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "slipway", targets: ["slipway"]),
        .executable(name: "slipway-sandbox", targets: ["SandboxHelper"]),
        // For the fuzzing package in fuzz/.
        .library(name: "SlipwayArchive", targets: ["Archive"]),
        .library(name: "SlipwaySpecs", targets: ["Specs"]),
        .library(name: "SlipwayWebhooks", targets: ["Webhooks"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.30.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // Linux calls Glibc does not expose (unshare, pivot_root, openat2, prctl, ...).
        .target(name: "CLinux"),
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive",
                       providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd",
                       providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        // libseccomp compiles the build sandbox's seccomp filter (in the service, once).
        .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp",
                       providers: [.apt(["libseccomp-dev"])]),
        .target(name: "SlipwayCore", dependencies: [
            "CLinux",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "Archive", dependencies: ["SlipwayCore", "CArchive", "CZstd", "CZlib", "CLinux"]),
        .target(name: "Artifacts", dependencies: ["SlipwayCore", "Archive"]),
        .target(name: "Images", dependencies: ["SlipwayCore", "Archive", "CLinux"]),
        // The sandbox spec and report records on the pipes between Sandbox and the helper, one
        // encoder and decoder for both sides; the standard library only (the helper links no
        // Foundation).
        .target(name: "SandboxWire"),
        .target(name: "Sandbox", dependencies: ["SlipwayCore", "CLinux", "CSeccomp", "SandboxWire"]),
        // The helper's logic (namespaces, mounts, cgroups, supervision), a library so that its
        // pure parts are tested without starting a sandbox.
        .target(name: "SandboxRuntime", dependencies: ["CLinux", "SandboxWire"]),
        // A fully static executable (Swift runtime and glibc): no dynamic loader, no libstdc++
        // to load and relocate. The shared runtime cost ~4 ms per sandbox start, -static-stdlib
        // with a dynamic libc ~1.2 ms of CPU more than this.
        // The job queue's benchmark (benchmarks/queue.sh): JobLoop in worker processes whose
        // jobs do nothing. Not a product: built only for the benchmark.
        .executableTarget(name: "QueueBench", dependencies: ["State", "SlipwayAPI", "SlipwayCore"], path: "benchmarks/QueueBench"),
        .executableTarget(name: "SandboxHelper", dependencies: ["SandboxRuntime"],
                          linkerSettings: [.unsafeFlags(["-static-executable"])]),
        .target(name: "Specs", dependencies: ["Yams"]),
        // Run notifications: signed JSON and Slack-compatible webhooks, with retries.
        .target(name: "Notifications", dependencies: [
            "SlipwayCore", "Specs",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // Secrets sealed at rest for builds (`slipway secret`).
        .target(name: "Secrets", dependencies: ["SlipwayCore", .product(name: "Crypto", package: "swift-crypto")]),
        // `slipway image pull`: the OCI Distribution API over async-http-client, layers
        // streamed into the image store.
        // Transport judgements every HTTP client shares: bodies under a limit, short reasons,
        // which failures are worth another try.
        .target(name: "HTTPTransport", dependencies: [
            "SlipwayCore",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        // S3-compatible object storage (SigV4 signed by hand: no Swift AWS SDK) and the artifact
        // store's copy in a bucket.
        .target(name: "ObjectStorage", dependencies: [
            "SlipwayCore", "Artifacts", "HTTPTransport",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .target(name: "Registry", dependencies: [
            "SlipwayCore", "Images", "HTTPTransport",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        .target(name: "Build", dependencies: ["SlipwayCore", "CLinux", "Specs", "Sandbox", "Images", "Artifacts", "Archive"]),
        .target(name: "Deploy", dependencies: ["SlipwayCore", "CLinux", "Specs", "Artifacts", "Archive"]),
        // `--target s3://BUCKET/PREFIX`: a static site deployed into a bucket, assets before pages.
        .target(name: "StaticSite", dependencies: ["SlipwayCore", "Specs", "Artifacts", "Archive", "Deploy", "ObjectStorage"]),
        // Runs, stages, logs and releases as the CLI, the API and the dashboard see them, and the
        // control protocol the orchestrator implements.
        .target(name: "SlipwayAPI", dependencies: ["SlipwayCore"]),
        // Runs, stages, logs, releases and audit in SQLite (GRDB) or PostgreSQL (postgres-nio),
        // one set of statements for both.
        .target(name: "State", dependencies: [
            "SlipwayCore", "SlipwayAPI", "Specs", .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Source → build → deploy: slipway.yml, git, the orchestrator.
        .target(name: "Pipeline", dependencies: [
            "SlipwayCore", "SlipwayAPI", "Specs", "Build", "Deploy", "Artifacts", "Images", "State", "Secrets", "Notifications", "Registry",
            "ObjectStorage", "StaticSite",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        // Push webhook payloads as forges send them: the standard library and Foundation only,
        // so the fuzz target that reads them links nothing else.
        .target(name: "Webhooks"),
        // `slipway serve`: JSON API, webhooks, metrics and the dashboard.
        .target(name: "Server", dependencies: [
            "SlipwayCore", "SlipwayAPI", "Webhooks",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "SlipwayCLI", dependencies: [
            "SlipwayCore", "Archive", "Artifacts", "Images", "Sandbox", "Specs", "Build", "Deploy",
            "SlipwayAPI", "State", "Pipeline", "Server", "Secrets", "Registry", "ObjectStorage", "StaticSite",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "slipway", dependencies: ["SlipwayCLI"]),

        // Temporary directories, the `slipway` runner, size tags, deadline-bound waits, git and
        // busybox fixtures, and the compatibility corpus (Fixtures/compat) as a resource.
        // The registries for pull tests (Debian's docker-registry) and their token issuer (ES256: Crypto).
        .target(name: "SlipwayTestSupport", dependencies: ["SlipwayCore", "CLinux", "Images", .product(name: "Crypto", package: "swift-crypto")],
                path: "Tests/SlipwayTestSupport",
                resources: [.copy("Fixtures/compat")]),
        .testTarget(name: "SlipwayCoreTests", dependencies: ["SlipwayCore", "SlipwayTestSupport"]),
        .testTarget(name: "ArchiveTests", dependencies: ["Archive", "CArchive", "SlipwayCore", "SlipwayTestSupport"]),
        .testTarget(name: "ArtifactsTests", dependencies: ["Artifacts", "Archive", "SlipwayCore", "SlipwayTestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["SlipwayCLI", "SlipwayAPI", "SlipwayTestSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .testTarget(name: "ImagesTests", dependencies: ["Images", "Archive", "SlipwayCore", "SlipwayTestSupport"]),
        .testTarget(name: "SandboxTests", dependencies: ["Sandbox", "SandboxWire", "SlipwayCore", "SlipwayTestSupport"]),
        .testTarget(name: "SandboxWireTests", dependencies: ["SandboxWire"]),
        .testTarget(name: "SandboxRuntimeTests", dependencies: ["SandboxRuntime", "SandboxWire", "CLinux"]),
        .testTarget(name: "SpecsTests", dependencies: ["Specs", "SlipwayTestSupport"]),
        .testTarget(name: "SecretsTests", dependencies: ["Secrets", "SlipwayCore", "SlipwayTestSupport"]),
        .testTarget(name: "NotificationsTests", dependencies: [
            "Notifications", "Specs", "SlipwayTestSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "RegistryTests", dependencies: ["Registry", "Images", "SlipwayCore", "SlipwayTestSupport"]),
        .testTarget(name: "ObjectStorageTests", dependencies: ["ObjectStorage", "Artifacts", "SlipwayCore", "SlipwayTestSupport"]),
        .testTarget(name: "StaticSiteTests", dependencies: ["StaticSite", "ObjectStorage", "Artifacts", "Deploy", "Specs", "SlipwayCore", "SlipwayTestSupport"]),
        .testTarget(name: "SlipwayTestSupportTests", dependencies: ["SlipwayTestSupport"]),
        .testTarget(name: "BuildTests", dependencies: ["Build", "Specs", "Sandbox", "Images", "Artifacts", "Archive", "SlipwayCore",
                                                      "SlipwayTestSupport"]),
        .testTarget(name: "DeployTests", dependencies: ["Deploy", "Artifacts", "Specs", "SlipwayCore", "SlipwayTestSupport"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "SlipwayAPI", "State", "Specs", "Images", "SlipwayCore", "SlipwayTestSupport",
                                                         "ObjectStorage",
                                                         "Secrets", .product(name: "Crypto", package: "swift-crypto"),
                                                         .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "ServerTests", dependencies: [
            "CLinux", "Server", "SlipwayAPI", "Pipeline", "State", "Specs", "Images", "SlipwayCore", "SlipwayTestSupport", "Webhooks", "Secrets",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
    ]
)
