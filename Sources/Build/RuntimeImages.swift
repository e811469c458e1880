import Foundation
import Images
import Specs

/// CodeBuild installs the versions `runtime-versions` asks for into its standard image;
/// Slipway installs nothing, so a runtime comes with the image. `build.runtimes` in
/// slipway.yml says which image provides which runtime (`nodejs: "node:{version}"`, where
/// `{version}` is the version asked for), and a build whose install phase asks for a mapped
/// runtime runs on that image. Without a mapping, the image is checked: one that declares its
/// runtimes (`/etc/slipway/runtimes`) must offer the version; one that declares none gets a
/// warning naming an image that would.
public struct RuntimeImages: Sendable {
    /// Runtime name → image reference, as slipway.yml gives them.
    public var mapping: [String: String]

    public init(_ mapping: [String: String]) {
        self.mapping = mapping
    }

    /// The image reference the buildspec's runtime-versions pick, and what is wrong with the
    /// pick (two mapped runtimes on different images, an unset version variable).
    public func choose(_ spec: BuildSpec, file: String, environment: [String: String]) -> (image: String?, diagnostics: [Diagnostic]) {
        var chosen: (image: String, runtime: String)?
        var diagnostics: [Diagnostic] = []
        for phase in spec.phases {
            for located in phase.runtimeVersions {
                guard let template = mapping[located.value.runtime] else { continue }
                guard let version = BuildRequirements.expand(located.value.version, environment) else { continue }
                let image = template.replacingOccurrences(of: "{version}", with: version == "latest" ? "latest" : version)
                if let earlier = chosen, earlier.image != image {
                    diagnostics.append(located.location.diagnostic(.error, "build.runtimes maps \(earlier.runtime) to \(earlier.image) and \(located.value.runtime) to \(image); a build runs on one image: make one with both runtimes and map both to it, or set build.image", file: file))
                } else {
                    chosen = (image, located.value.runtime)
                }
            }
        }
        return (chosen?.image, diagnostics)
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
