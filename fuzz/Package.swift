// swift-tools-version: 6.1
import PackageDescription

// libFuzzer targets for the parts that read untrusted input. Not part of the tests: run them
// with ./run (see its header). A separate package, so the main build never links libFuzzer.
let package = Package(
    name: "SlipwayFuzz",
    dependencies: [.package(name: "Slipway", path: "..")],
    targets: [
        // Archives (any format and compression libarchive reads) through the safe extractor.
        .executableTarget(name: "FuzzExtract", dependencies: [.product(name: "SlipwayArchive", package: "Slipway")]),
        // buildspec, appspec and slipway.yml parsers, and spec kind detection.
        .executableTarget(name: "FuzzSpecs", dependencies: [.product(name: "SlipwaySpecs", package: "Slipway")]),
        // Push webhook payloads (after the signature check) and delivery ids.
        .executableTarget(name: "FuzzWebhook", dependencies: [.product(name: "SlipwayWebhooks", package: "Slipway")]),
    ]
)
