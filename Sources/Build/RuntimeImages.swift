import Foundation
import Images
import SlipwayCore
import Specs

/// CodeBuild installs the versions `runtime-versions` asks for into its standard image;
/// Slipway installs nothing, so a runtime comes with the image. Two tables say which image
/// provides which runtime, and a build whose install phase asks for a runtime in them runs on
/// that image instead of the one it was given:
///
/// - `build.runtimes` in slipway.yml (`nodejs: "node:{version}"`, where `{version}` is the
///   version asked for): any image reference, pulled like `build.image`. The image is trusted
///   to have the version, so it is not checked.
/// - `defaults`, only for a build whose image nobody named: the images the bundled recipes
///   build from Debian's packages (`slipway image build images/python`), looked up in the local
///   store. Their versions are Debian's, declared in `/etc/slipway/runtimes`, and the version
///   asked for is checked against them by `BuildRequirements`.
///
/// Without either, the image is checked: one that declares its runtimes must offer the
/// version; one that declares none gets a warning naming an image that would.
public struct RuntimeImages: Sendable {
    /// Runtime name → image reference, as slipway.yml gives them.
    public var mapping: [String: String]
    /// Runtime name → local image name, consulted after `mapping` (see `debianImages`).
    public var defaults: [String: String] = [:]

    /// CodeBuild's runtime names → the images the bundled recipes build (`images/NAME`).
    public static let debianImages: [String: String] = [
        "python": "python",
        "nodejs": "node",
        "golang": "go",
        "java": "java",
    ]

    public init(_ mapping: [String: String], defaults: [String: String] = [:]) {
        self.mapping = mapping
        self.defaults = defaults
    }

    /// What the buildspec's runtime-versions pick.
    public struct Choice: Sendable {
        /// The image reference, nil when no runtime asked for is in either table.
        public var image: String?
        /// The runtime that picked it (the first one asked for that is in a table).
        public var runtime: String?
        /// The image came from `defaults`: a local image built from a recipe.
        public var isDefault = false
        /// What is wrong with the pick (two runtimes on different images, an unset version variable).
        public var diagnostics: [Diagnostic] = []
    }

    /// The image the buildspec's runtime-versions pick, and what is wrong with the pick.
    public func choose(_ spec: BuildSpec, file: String, environment: [String: String]) -> Choice {
        var chosen: (image: String, runtime: String, isDefault: Bool)?
        var choice = Choice()
        for phase in spec.phases {
            for located in phase.runtimeVersions {
                let runtime = located.value.runtime
                let image: String
                let isDefault: Bool
                if let template = mapping[runtime] {
                    guard let version = BuildRequirements.expand(located.value.version, environment) else { continue }
                    image = template.replacingOccurrences(of: "{version}", with: version)
                    isDefault = false
                } else if let name = defaults[runtime] {
                    image = name
                    isDefault = true
                } else {
                    continue
                }
                guard let earlier = chosen else {
                    chosen = (image, runtime, isDefault)
                    continue
                }
                guard earlier.image != image else { continue }
                let how = earlier.isDefault && isDefault
                    ? "build an image with both (a recipe whose parent is images/\(earlier.image) adding the other's packages) and name it (--image, or build.image in slipway.yml), or map both in build.runtimes"
                    : "make one with both runtimes and map both to it in build.runtimes, or set build.image"
                choice.diagnostics.append(located.location.diagnostic(.error, "runtime-versions asks for \(earlier.runtime) (\(Self.source(earlier.isDefault)) \(earlier.image)) and \(runtime) (\(Self.source(isDefault)) \(image)); a build runs on one image: \(how)", file: file))
            }
        }
        choice.image = chosen?.image
        choice.runtime = chosen?.runtime
        choice.isDefault = chosen?.isDefault ?? false
        return choice
    }

    private static func source(_ isDefault: Bool) -> String { isDefault ? "default image" : "build.runtimes maps it to" }

    /// A default runtime image from the local store; one not built yet is a not-found error
    /// that says how to build it.
    public static func resolveDefault(_ name: String, runtime: String, file: String, home: SlipwayHome) throws -> ImageRecord {
        do {
            return try ImageStore(home: home).resolve(name)
        } catch let error as SlipwayError where error.kind == .notFound {
            throw SlipwayError.notFound("\(file): runtime-versions asks for \(runtime), which the default '\(name)' image provides, and it is not built; build it with: slipway image build images/\(name) (or name another image with --image, or build.image in slipway.yml)")
        }
    }

    /// An image that has `runtime` at `version`, as its upstream publishes it, for messages.
    public static func suggestion(_ runtime: String, _ version: String) -> String? {
        let tag = version == "latest" ? "latest" : version
        switch runtime {
        case "nodejs": return "node:\(tag)"
        case "python": return "python:\(tag)"
        case "golang": return "golang:\(tag)"
        case "ruby": return "ruby:\(tag)"
        case "php": return "php:\(tag)"
        case "java":
            if version.hasPrefix("corretto") { return "amazoncorretto:\(version.dropFirst("corretto".count))" }
            return "eclipse-temurin:\(tag)"
        case "dotnet": return "mcr.microsoft.com/dotnet/sdk:\(tag)"
        default: return nil
        }
    }
}
